// The recording profile (.vscode/qemu-block-trace.json) as Record Session… reads it: each field
// checked, and a mistake told by its field instead of starting QEMU with what it never meant.
import * as assert from 'node:assert/strict';
import { readProfile, resolveProfile } from '../../src/recording/profile';

describe('the recording profile, .vscode/qemu-block-trace.json', () => {
  it('a profile as the README shows it', () => {
    const text = JSON.stringify({ binary: '/q/qemu-storage-daemon', args: ['--blockdev', 'driver=file,node-name=f0,filename=/tmp/a.qcow2'], breakpoints: ['bdrv_replace_child_noperm', 'bdrv_open_driver'], gdb: '/usr/bin/gdb', gdbFiles: ['mine.gdb'], out: '/tmp/s.log' });
    assert.deepEqual(readProfile(text), { profile: JSON.parse(text), problems: [] });
  });

  it('not JSON, or not an object: nothing used, and why', () => {
    const bad = readProfile('{"binary": "/q/qsd",}');
    assert.deepEqual(bad.profile, {});
    assert.match(bad.problems[0], /^it is not valid JSON \(.+\); it was not used$/);
    assert.deepEqual(readProfile('["/q/qsd"]'), { profile: {}, problems: ['it is not a JSON object ({"binary": …, "args": […]}); it was not used'] });
  });

  it('a field of the wrong type is left out, by name; the others are used', () => {
    const r = readProfile(JSON.stringify({ binary: '/q/qsd', args: '--blockdev driver=file', breakpoints: ['f', 3], gdb: '' }));
    assert.deepEqual(r.profile, { binary: '/q/qsd' });
    assert.deepEqual(r.problems, [
      '"gdb" must be a non-empty string; it was not used',
      '"args" must be a list of strings (["--blockdev", "driver=file,…"]); it was not used',
      '"breakpoints" must be a list of strings (["bdrv_replace_child_noperm"]); it was not used',
    ]);
  });

  it('a misspelt field is named, with the fields there are', () => {
    const r = readProfile(JSON.stringify({ binary: '/q/qsd', breakpoint: ['x'] }));
    assert.deepEqual(r.profile, { binary: '/q/qsd' });
    assert.deepEqual(r.problems, ['"breakpoint" is not a profile field (binary, gdb, out, args, breakpoints, gdbFiles); ignored']);
  });

  it('paths are the workspace folder’s: binary, log, gdb files, and gdb when it is a path (a bare name is looked up on PATH)', () => {
    assert.deepEqual(resolveProfile({ binary: 'build/qemu-storage-daemon', out: 'rec/s.log', gdb: 'gdb', gdbFiles: ['mine.gdb', '/etc/other.gdb'], args: ['--blockdev', 'x'] }, '/ws'), {
      binary: '/ws/build/qemu-storage-daemon',
      out: '/ws/rec/s.log',
      gdb: 'gdb',
      gdbFiles: ['/ws/mine.gdb', '/etc/other.gdb'],
      args: ['--blockdev', 'x'],
    });
    assert.equal(resolveProfile({ gdb: 'tools/gdb' }, '/ws').gdb, '/ws/tools/gdb');
  });
});
