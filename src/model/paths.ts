// File names as the log prints them (`../block.c`, `/lib64/libc.so.6`): the one place that takes
// a path apart, for every label the model makes.

/** The last component of a `/`-separated path: `../block/qcow2.c` → `qcow2.c`. */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
