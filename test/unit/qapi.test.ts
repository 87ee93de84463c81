import * as assert from 'node:assert/strict';
import { commandDoc, qapiDoc, qmpHandlerName } from '../../src/model/qapi';

// A schema in QEMU's doc-comment format, written for this test.
const SCHEMA = [
  '##',
  '# @SnapArgs:',
  '#',
  '# Which node to snapshot.',
  '#',
  '# @node-name: the node to take the snapshot of',
  '#',
  '# @snapshot-file: where the new overlay goes; it is created',
  '#                 when it does not exist',
  '##',
  "{ 'struct': 'SnapArgs', 'data': { 'node-name': 'str', 'snapshot-file': 'str' } }",
  '',
  '##',
  '# @snap-sync:',
  '#',
  '# Takes a snapshot, synchronously.',
  '#',
  '# Returns: nothing on success',
  '#          an error when the node is not found',
  '#',
  '# Since: 9.1',
  '#',
  '# Example:',
  '#',
  '# -> { "execute": "snap-sync" }',
  '##',
  "{ 'command': 'snap-sync',",
  "  'data': 'SnapArgs' }",
].join('\n');

describe('QMP commands in QEMU’s terms', () => {
  it('a command’s handler is qmp_ with underscores', () => {
    assert.equal(qmpHandlerName('blockdev-snapshot-sync'), 'qmp_blockdev_snapshot_sync');
  });

  it('reads a ## doc block: summary, returns, since, and the line of the definition', () => {
    const d = qapiDoc(SCHEMA, 'snap-sync')!;
    assert.equal(d.summary, 'Takes a snapshot, synchronously.');
    assert.equal(d.returns, 'nothing on success an error when the node is not found');
    assert.equal(d.since, '9.1');
    assert.equal(d.line, 27);
    assert.equal(d.dataType, 'SnapArgs');
    assert.equal(qapiDoc(SCHEMA, 'no-such-command'), null);
  });

  it('a command whose data is a struct takes its arguments from the struct', () => {
    const d = commandDoc([['/q/qapi/snap.json', SCHEMA]], 'snap-sync')!;
    assert.equal(d.file, '/q/qapi/snap.json');
    assert.deepEqual(d.args, [
      { name: 'node-name', text: 'the node to take the snapshot of' },
      { name: 'snapshot-file', text: 'where the new overlay goes; it is created when it does not exist' },
    ]);
    assert.match(d.summary, /^Takes a snapshot, synchronously\.\n\nWhich node to snapshot\.$/);
  });
});
