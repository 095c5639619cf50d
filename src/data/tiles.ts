// Tile geometry: a (H, W) stack holds a grid of floor(H/T) x floor(W/T) non-overlapping T x T
// tiles, numbered row-major; the k-th tile of a list of stacks is (stacks[k div n], row, col).
// Rows and columns past the last whole tile are not used.

export interface TileGrid {
  tile: number;
  rows: number;
  cols: number;
  perStack: number;
}

export function tileGrid(height: number, width: number, tile: number): TileGrid {
  if (!Number.isInteger(tile) || tile < 1)
    throw new Error(`tile size must be a positive integer, got ${tile}`);
  if (tile > height || tile > width)
    throw new Error(`tile size ${tile} is larger than the ${height} x ${width} stacks`);
  const rows = Math.floor(height / tile);
  const cols = Math.floor(width / tile);
  return { tile, rows, cols, perStack: rows * cols };
}

export interface TileRef {
  stack: number;
  row: number; // grid row: pixels row*T .. row*T+T-1
  col: number;
}

/** Where tile k of the given stack list lies. */
export function tileAt(grid: TileGrid, stacks: readonly number[], k: number): TileRef {
  const s = Math.floor(k / grid.perStack);
  if (!(k >= 0) || s >= stacks.length)
    throw new Error(`tile ${k} is out of range (${stacks.length * grid.perStack} tiles)`);
  const within = k - s * grid.perStack;
  return { stack: stacks[s], row: Math.floor(within / grid.cols), col: within % grid.cols };
}
