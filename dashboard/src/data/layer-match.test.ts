import { describe, expect, it } from 'vitest';
import { matchLayer } from './layer-match.js';

describe('which compared layer a layer panel overlays', () => {
  it('takes the same name when the compared run has it', () => {
    expect(matchLayer('lstm', 1, ['gru', 'lstm'])).toBe('lstm');
  });
  it('falls back to the same position: a SimpleRNN run against a GRU run', () => {
    expect(matchLayer('simpleRNN', 0, ['gru'])).toBe('gru');
  });
  it('gives none when the compared run has fewer layers', () => {
    expect(matchLayer('rnn_2', 1, ['gru'])).toBeNull();
    expect(matchLayer('rnn_1', 0, [])).toBeNull();
  });
});
