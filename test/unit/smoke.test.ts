import * as assert from 'node:assert/strict';
import { parseTrace } from '../../src/model/trace';
import { readFixture } from './helpers';

describe('smoke', () => {
  it('parses the sample', () => {
    const t = parseTrace(readFixture('traces/snapshot-commit-complete.log'));
    assert.equal(t.hits.length, 34);
  });
});
