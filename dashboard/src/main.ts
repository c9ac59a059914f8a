import 'uplot/dist/uPlot.min.css';
import './style.css';
import { App } from './app.js';

const $ = (id: string) => document.getElementById(id)!;
// Same origin as the page: the server serves both the app and the websocket.
const wsUrl = new URL('ws/subscribe', location.href.replace(/^http/, 'ws').replace(/[?#].*$/, '')).href;
const app = new App({ runs: $('runs'), status: $('status'), cursor: $('cursor'), model: $('model'), layers: $('layers'), title: $('run-title'), ending: $('run-end'), compareEnding: $('compare-end') }, wsUrl);
$('help-all').addEventListener('click', () => {
  const on = document.body.classList.toggle('help-on');
  document.querySelectorAll<HTMLElement>('.help').forEach((p) => (p.hidden = !on));
});
// For the browser test and the redraw benchmark (read-only use plus injection).
(window as unknown as { __gradscope: App }).__gradscope = app;
