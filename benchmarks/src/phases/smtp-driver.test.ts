import { classifyReply, countReplies, isExpectedReply } from './smtp-driver';

describe('SMTP reply classification of the mail-path phase', () => {
  it('classes a reply code by its first digit', () => {
    expect(classifyReply(250)).toBe('2xx');
    expect(classifyReply(221)).toBe('2xx');
    expect(classifyReply(451)).toBe('4xx');
    expect(classifyReply(421)).toBe('4xx');
    expect(classifyReply(550)).toBe('5xx');
    expect(classifyReply(554)).toBe('5xx');
  });

  it('gives none for no reply or a code that is not a reply', () => {
    expect(classifyReply(undefined)).toBe('none');
    expect(classifyReply(Number.NaN)).toBe('none');
    expect(classifyReply(354)).toBe('none');
    expect(classifyReply(199)).toBe('none');
    expect(classifyReply(600)).toBe('none');
    expect(classifyReply(250.5)).toBe('none');
  });

  it('expects EICAR refused permanently and clean mail accepted; a deferral is never right', () => {
    expect(isExpectedReply('5xx', true)).toBe(true);
    expect(isExpectedReply('2xx', true)).toBe(false);
    expect(isExpectedReply('4xx', true)).toBe(false);
    expect(isExpectedReply('2xx', false)).toBe(true);
    expect(isExpectedReply('5xx', false)).toBe(false);
    expect(isExpectedReply('4xx', false)).toBe(false);
    expect(isExpectedReply('none', false)).toBe(false);
  });

  it('counts replies by class', () => {
    expect(countReplies([{ replyClass: '2xx' }, { replyClass: '5xx' }, { replyClass: '2xx' }, { replyClass: 'none' }])).toEqual({ '2xx': 2, '4xx': 0, '5xx': 1, none: 1 });
  });
});
