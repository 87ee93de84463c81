// Telling files of the same name apart in titles, as an editor's tabs do.
import * as assert from 'node:assert/strict';
import { distinguishingFolders } from '../../src/model/paths';

describe('the folders that tell a log from others of its name', () => {
  it('is empty when no other path has its name', () => {
    assert.equal(distinguishingFolders('/w/runs/a/trace.log', ['/w/runs/a/other.log', '/w/b/session.txt']), '');
    assert.equal(distinguishingFolders('/w/runs/a/trace.log', ['/w/runs/a/trace.log']), '', 'itself is no other');
  });

  it('is the parent folder when that differs', () => {
    assert.equal(distinguishingFolders('/w/runs/a/trace.log', ['/w/runs/b/trace.log']), 'a');
    assert.equal(distinguishingFolders('/w/runs/b/trace.log', ['/w/runs/a/trace.log', '/w/runs/c/x.log']), 'b');
  });

  it('goes up as far as it must', () => {
    assert.equal(distinguishingFolders('/w/runs/a/trace.log', ['/w/runs/b/trace.log', '/w/old/a/trace.log']), 'runs/a');
    assert.equal(distinguishingFolders('/home/me/q/trace.log', ['/tmp/q/trace.log']), 'me/q');
  });

  it('a file at the top against one in a folder of that name', () => {
    assert.equal(distinguishingFolders('/trace.log', ['/x/trace.log']), '/');
    assert.equal(distinguishingFolders('/x/trace.log', ['/trace.log']), 'x');
  });
});
