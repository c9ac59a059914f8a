/** Saves a canvas as PNG with a title strip on top, so the file says what it shows out of context. */
export function downloadCanvasPng(source: HTMLCanvasElement, title: string, fileName: string): void {
  const strip = 22 * (window.devicePixelRatio || 1);
  const out = document.createElement('canvas');
  out.width = source.width;
  out.height = source.height + strip;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = '#222';
  ctx.font = `${Math.round(strip * 0.6)}px system-ui, sans-serif`;
  ctx.fillText(title, 6, strip * 0.72);
  ctx.drawImage(source, 0, strip);
  const a = document.createElement('a');
  a.href = out.toDataURL('image/png');
  a.download = fileName.replace(/[^\w.-]+/g, '_') + '.png';
  a.click();
}
