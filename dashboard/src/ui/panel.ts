/** A titled box with a help toggle and a PNG export button: the frame every picture sits in. */
import { downloadCanvasPng } from './download.js';

export interface Panel {
  el: HTMLElement;
  body: HTMLElement;
  setTitle(text: string): void;
}

export function panel(parent: HTMLElement, title: string, help: string, id: string, canvases: () => HTMLCanvasElement[]): Panel {
  const el = document.createElement('section');
  el.className = 'panel';
  el.dataset.panel = id;
  const head = document.createElement('header');
  const h = document.createElement('h3');
  h.textContent = title;
  h.title = help;
  const helpBtn = document.createElement('button');
  helpBtn.textContent = '?';
  helpBtn.title = 'What does this show?';
  const png = document.createElement('button');
  png.textContent = 'PNG';
  png.title = 'Download this chart as PNG';
  const text = document.createElement('p');
  text.className = 'help';
  text.textContent = help;
  text.hidden = !document.body.classList.contains('help-on');
  helpBtn.onclick = () => (text.hidden = !text.hidden);
  png.onclick = () => canvases().forEach((c, i) => downloadCanvasPng(c, h.textContent ?? title, `${id}${i ? '-' + i : ''}`));
  head.append(h, helpBtn, png);
  const body = document.createElement('div');
  body.className = 'panel-body';
  el.append(head, text, body);
  parent.appendChild(el);
  return { el, body, setTitle: (t) => (h.textContent = t) };
}
