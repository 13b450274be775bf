import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../errors.js';
import { integerFlag, numberFlag, optionalIntegerFlag, optionalNumberFlag, pathListFlag } from './flags.js';

describe('numeric flags', () => {
  it('parses integers strictly and names the flag', () => {
    assert.equal(integerFlag('--clients', '600'), 600);
    assert.equal(integerFlag('--seed', '-3'), -3);
    for (const bad of ['12abc', '1.5', '1e3', '', ' ']) {
      assert.throws(() => integerFlag('--clients', bad), (e) => e instanceof ConfigError && e.message === `Expected \`--clients\` to be an integer, got \`${bad}\` (string)`);
    }
    assert.throws(() => integerFlag('--seed', '99999999999999999999'), /Expected `--seed` to be an integer/);
  });

  it('parses finite numbers', () => {
    assert.equal(numberFlag('--lr', '1e-3'), 0.001);
    assert.throws(() => numberFlag('--lr', ''), { name: 'ConfigError', message: 'Expected `--lr` to be a number, got `` (string)' });
    assert.throws(() => numberFlag('--lr', 'Infinity'), /Expected `--lr` to be a number/);
  });

  it('passes an absent optional flag through as undefined', () => {
    assert.equal(optionalIntegerFlag('--epochs', undefined), undefined);
    assert.equal(optionalNumberFlag('--lr', undefined), undefined);
    assert.equal(optionalIntegerFlag('--epochs', '4'), 4);
  });

  it('splits a comma-separated file list and refuses an empty one', () => {
    assert.deepEqual(pathListFlag('--features', 'a.arrow, b.arrow,'), ['a.arrow', 'b.arrow']);
    assert.throws(() => pathListFlag('--features', ' , '), { name: 'ConfigError', message: 'Expected `--features` to list one or more files separated by commas, got ` , `' });
  });
});
