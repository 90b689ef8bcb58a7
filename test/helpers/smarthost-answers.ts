// Shared fixed answers for smarthost tests: a password with every character that breaks configs.
import { buildAnswers } from '../../src/smarthost/answers.js';
import type { Answers, ServerId } from '../../src/smarthost/types.js';

/** colon, hash, spaces, both quotes, backslash, caret, non-ASCII (Latin-1, BMP, astral). */
export const NASTY_PASSWORD = `pa:ss#w "o'rd\\ ^ü€😀 x`;
export const TEST_USER = 'office@example.net';

export function fixedAnswers(server: ServerId, over: Partial<Parameters<typeof buildAnswers>[0]> = {}): Answers {
  return buildAnswers({
    server,
    user: TEST_USER,
    password: NASTY_PASSWORD,
    smarthost: 'omr.tzo.com:587',
    lan: ['192.168.1.0/24'],
    listen: ['192.168.1.10'],
    hostname: 'gw.office.example.net',
    ...over,
  }, '/');
}
