// The gdb command file that records a session the way the extension reads it: gdb's output
// logged to a file, a breakpoint on each graph function, `bt` at every hit, then on.

/** gdb commands for a capture: `logFile` receives everything gdb prints. */
export function captureScript(breakpoints: readonly string[] = ['bdrv_replace_child_noperm'], logFile = 'qemu-block-trace.log'): string {
  const lines = [
    '# QEMU Block Trace capture: gdb -x qbt-capture.gdb --args QEMU ARGS...  then: run',
    'set pagination off',
    'set confirm off',
    '# everything gdb prints goes to the log, and still to the terminal',
    `set logging file ${logFile}`,
    'set logging overwrite off',
    'set logging redirect off',
    'set logging enabled on',
  ];
  for (const fn of breakpoints) {
    lines.push(`break ${fn}`, 'commands', '  echo (gdb) bt\\n', '  bt', '  echo (gdb) c\\n', '  continue', 'end');
  }
  return `${lines.join('\n')}\n`;
}
