const { test } = require('node:test');
const assert = require('node:assert');
const { rooms } = require('../index.js');

test('rooms are unique', () => assert.equal(rooms(['a', 'a']).size, 1));
