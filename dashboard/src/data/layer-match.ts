/**
 * Which layer of the compared run a layer panel overlays. Runs of different
 * cells name their layers after the cell (the adding problem's `simpleRNN`,
 * `gru`, `lstm`), so matching by name alone compared nothing in exactly the
 * case comparison is for (a SimpleRNN against a GRU). Rule: the layer of the
 * same name if the compared run has one, else the layer at the same position
 * in model order, else none.
 */
export function matchLayer(name: string, index: number, compared: readonly string[]): string | null {
  if (compared.includes(name)) return name;
  return compared[index] ?? null;
}
