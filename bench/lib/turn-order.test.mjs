import assert from 'node:assert/strict';
import test from 'node:test';
import { williamsOrder } from './turn-order.mjs';

test('4 processes: the square written out by hand', () => {
  assert.deepEqual(williamsOrder(4), [
    [0, 1, 3, 2],
    [1, 2, 0, 3],
    [2, 3, 1, 0],
    [3, 0, 2, 1],
  ]);
});

for (const n of [4, 6, 16]) {
  test(`${n} processes: each takes each place once, follows each other once, and never itself, across cycles too`, () => {
    const rows = williamsOrder(n);
    assert.equal(rows.length, n);
    for (const row of rows) assert.deepEqual([...row].sort((a, b) => a - b), [...Array(n).keys()]);
    for (let place = 0; place < n; place++) assert.deepEqual(rows.map((row) => row[place]).sort((a, b) => a - b), [...Array(n).keys()]);
    const follows = new Map();
    for (const row of rows) for (let i = 1; i < row.length; i++) follows.set(`${row[i - 1]}→${row[i]}`, (follows.get(`${row[i - 1]}→${row[i]}`) ?? 0) + 1);
    assert.equal(follows.size, n * (n - 1));
    assert.ok([...follows.values()].every((count) => count === 1));
    for (let r = 0; r < n; r++) assert.notEqual(rows[r].at(-1), rows[(r + 1) % n][0]);
  });
}

test('an odd count, or fewer than 4, is refused with the count named', () => {
  assert.throws(() => williamsOrder(5), /even number of processes, at least 4 \(got 5\)/);
  assert.throws(() => williamsOrder(2), /got 2/);
});
