import { test } from 'node:test';
import assert from 'node:assert';
import { withTrailingSlash } from '../src/index.js';

test('adds a slash', () => assert.equal(withTrailingSlash('/a'), '/a/'));
