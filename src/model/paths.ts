// File names as the log prints them (`../block.c`, `/lib64/libc.so.6`): the one place that takes
// a path apart, for every label the model makes.

/** The last component of a `/`-separated path: `../block/qcow2.c` → `qcow2.c`. */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The folders that tell a file from others of the same name, as an editor's tabs do:
 * `runs/a/trace.log` among `runs/b/trace.log` → `a`; among `x/a/trace.log` too → `runs/a`. Empty
 * when no other path has its name. Paths are `/`-separated.
 */
export function distinguishingFolders(path: string, others: readonly string[]): string {
  const name = basename(path);
  const mine = path.split('/').slice(0, -1);
  const rivals = others.filter((o) => o !== path && basename(o) === name).map((o) => o.split('/').slice(0, -1));
  if (rivals.length === 0) return '';
  for (let n = 1; n <= mine.length; n++) {
    const tail = mine.slice(-n).join('/');
    if (rivals.every((r) => r.slice(-n).join('/') !== tail)) return tail || '/';
  }
  return mine.join('/') || '/';
}
