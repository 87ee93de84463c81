# QEMU Block Trace's gdb companion. Load it in gdb with `source qemu_block_trace.py` (the
# `qemu-block-trace record` command does this for you). It adds two commands:
#
#   qbt-graph          print QEMU's block graph as it is in memory now, as one line:
#                      qbt-graph {"nodes": [...], "edges": [...], "backends": [...], "jobs": [...]}
#   qbt-capture [FN]…  set a breakpoint on each FN (default: bdrv_replace_child_noperm) that, at
#                      every stop, prints the backtrace and the graph line and continues; the
#                      "(gdb) bt" and "(gdb) c" a person would have typed are echoed, so the log
#                      reads like a hand-made session.
#
# The graph is read through QEMU's debug info by field name (all_bdrv_states, each node's parents,
# block_backends, block_exports, jobs), which QEMU 7.0 to 10.x share. At a breakpoint in
# bdrv_replace_child_noperm it is the state as the hit stops, before that hit's own change.
import json
import re

import gdb

PREFIX = 'qbt-graph'


def _tailq(head, field):
    p = head['tqh_first']
    while int(p):
        yield p
        p = p[field]['tqe_next']


def _qlist(head, field):
    p = head['lh_first']
    while int(p):
        yield p
        p = p[field]['le_next']


def _string(value):
    """A char * or char[] as text, or None for NULL or an empty array."""
    try:
        if value.type.strip_typedefs().code == gdb.TYPE_CODE_PTR and not int(value):
            return None
        s = value.string()
        return s if s != '' else None
    except (gdb.error, gdb.MemoryError, UnicodeDecodeError):
        return None


def _symbol(ptr):
    """The symbol a pointer points at (`child_root` for &child_root), or its address."""
    m = re.search(r'<([A-Za-z_][\w.]*)', str(ptr))
    return m.group(1) if m else hex(int(ptr))


def _optional(expr):
    try:
        return gdb.parse_and_eval(expr)
    except gdb.error:
        return None


PARENT_KIND = {'child_root': 'backend', 'child_job': 'job'}


def read_graph():
    states = _optional('all_bdrv_states')
    if states is None:
        raise gdb.GdbError("qbt-graph: cannot read QEMU's block graph: there is no all_bdrv_states "
                           "(is this QEMU's block layer, built with debug info?)")
    nodes, edges, backends, jobs = [], [], [], []
    for bs in _tailq(states, 'bs_list'):
        drv = bs['drv']
        nodes.append({'address': hex(int(bs)), 'name': _string(bs['node_name']),
                      'driver': _string(drv['format_name']) if int(drv) else None,
                      'filename': _string(bs['filename'])})
        for c in _qlist(bs['parents'], 'next_parent'):
            klass = _symbol(c['klass'])
            edges.append({'address': hex(int(c)), 'name': _string(c['name']),
                          'parent': hex(int(c['opaque'])), 'parentKind': PARENT_KIND.get(klass, 'node'),
                          'child': hex(int(bs)), 'perm': int(c['perm']), 'sharedPerm': int(c['shared_perm'])})
    exports = {}
    block_exports = _optional('block_exports')
    if block_exports is not None:
        for e in _qlist(block_exports, 'next'):
            exports[hex(int(e['blk']))] = _string(e['id'])
    block_backends = _optional('block_backends')
    if block_backends is not None:
        for blk in _tailq(block_backends, 'link'):
            address = hex(int(blk))
            backends.append({'address': address, 'name': _string(blk['name']), 'export': exports.get(address)})
    job_list = _optional('jobs')
    if job_list is not None:
        for j in _qlist(job_list, 'job_list'):
            kind = None
            try:
                kind = str(j['driver']['job_type']).replace('JOB_TYPE_', '').lower().replace('_', '-')
            except gdb.error:
                pass
            jobs.append({'address': hex(int(j)), 'id': _string(j['id']), 'type': kind})
    return {'nodes': nodes, 'edges': edges, 'backends': backends, 'jobs': jobs}


class QbtGraph(gdb.Command):
    """Print QEMU's block graph as it is in memory now, as one line: qbt-graph {json}."""

    def __init__(self):
        super().__init__('qbt-graph', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        gdb.write(PREFIX + ' ' + json.dumps(read_graph(), separators=(',', ':')) + '\n')
        gdb.flush()


class QbtCapture(gdb.Command):
    """qbt-capture [FUNCTION]...: break on each function (default bdrv_replace_child_noperm) and,
at every stop, print the backtrace and QEMU's block graph (qbt-graph), then continue."""

    def __init__(self):
        super().__init__('qbt-capture', gdb.COMMAND_BREAKPOINTS)

    def invoke(self, arg, from_tty):
        functions = gdb.string_to_argv(arg) or ['bdrv_replace_child_noperm']
        for fn in functions:
            bp = gdb.Breakpoint(fn)
            if bp.pending:
                bp.delete()
                raise gdb.GdbError('qbt-capture: no function %s in this program (or no debug info for it)' % fn)
            bp.commands = '\n'.join(['echo (gdb) bt\\n', 'bt', 'qbt-graph', 'echo (gdb) c\\n', 'continue'])


QbtGraph()
QbtCapture()
