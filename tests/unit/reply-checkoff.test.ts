import { describe, expect, it } from 'vitest';
import { parseDoneLine, refFromAddress, replyAddress } from '../../domain/reply-checkoff';
import { loadConfig } from '../../platform/config';

describe('the first line of a check-off reply', () => {
  it('is DONE with or without the task, in any case, whatever is quoted below it', () => {
    expect(parseDoneLine('DONE freeze')).toEqual({ task: 'freeze' });
    expect(parseDoneLine('done Freeze-Reg.2\r\n\r\nOn Tue golive wrote:\r\n> DONE other')).toEqual({ task: 'Freeze-Reg.2' });
    expect(parseDoneLine('Done')).toEqual({});
    expect(parseDoneLine('\n\n  DONE: freeze \n')).toEqual({ task: 'freeze' });
    expect(parseDoneLine('DONE - freeze!')).toEqual({ task: 'freeze' });
    // Bottom-posting: the quote comes first and is skipped.
    expect(parseDoneLine('> Runbook night-1, task freeze\n>\nDONE freeze')).toEqual({ task: 'freeze' });
  });

  it('tolerates full-width letters, spaces and punctuation and invisible marks of Chinese input methods', () => {
    expect(parseDoneLine('ＤＯＮＥ　ｆｒｅｅｚｅ')).toEqual({ task: 'freeze' });
    expect(parseDoneLine('done：freeze。')).toEqual({ task: 'freeze' });
    expect(parseDoneLine('\ufeffDONE\u200b freeze，')).toEqual({ task: 'freeze' });
    expect(parseDoneLine('DONE。')).toEqual({});
  });

  it('is nothing else', () => {
    for (const text of [
      '',
      '> DONE freeze',
      'DONE freeze and more',
      'not done',
      'DONEfreeze',
      'DONE 冻结',
      'Thanks!\nDONE freeze',
      'DONE freeze\u202e',
    ])
      expect(parseDoneLine(text), JSON.stringify(text)).toBeNull();
  });
});

describe('the reply address', () => {
  it('carries a 32-hex reference on the deployment domain only', () => {
    const ref = 'ab'.repeat(16);
    expect(replyAddress(ref, 'golive.example')).toBe(`done+${ref}@golive.example`);
    expect(refFromAddress(`done+${ref.toUpperCase()}@GoLive.Example`, 'golive.example')).toBe(ref);
    expect(refFromAddress(`done+${ref}@other.example`, 'golive.example')).toBeUndefined();
    expect(refFromAddress(`done+${ref.slice(1)}@golive.example`, 'golive.example')).toBeUndefined();
    expect(refFromAddress(`someone@golive.example`, 'golive.example')).toBeUndefined();
  });

  it('is configured: a listener needs its domain', () => {
    expect(() => loadConfig({ INBOUND_SMTP_PORT: '2525' })).toThrow(/INBOUND_MAIL_DOMAIN: required with INBOUND_SMTP_PORT/);
    expect(() => loadConfig({ INBOUND_MAIL_DOMAIN: 'not a domain' })).toThrow(/INBOUND_MAIL_DOMAIN: must be a domain name/);
    expect(loadConfig({ INBOUND_SMTP_PORT: '2525', INBOUND_MAIL_DOMAIN: 'golive.localhost' })).toMatchObject({
      INBOUND_SMTP_PORT: 2525,
      INBOUND_SMTP_HOST: '127.0.0.1',
    });
    expect(loadConfig({}).INBOUND_SMTP_PORT).toBeUndefined();
  });
});
