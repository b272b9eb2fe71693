// The grid's layout: as square as the tiles allow (four make 2×2, not a row of three and one
// left over), never more than four columns.
export function gridColumns(tiles) {
  if (tiles <= 1) return 1;
  return Math.min(4, Math.ceil(Math.sqrt(tiles)));
}
