import type { CommandSpec } from '../../cli/spec.js';
import { SERVER_LIST } from '../config-generate/spec.js';

export const setupSpec: CommandSpec = {
  name: 'setup',
  summary: 'interactive wizard: SmartHost configuration for your mail server, written safely',
  manPage: 'omr-setup',
  description: [
    `Asks only what it needs (server, OMR account, password, LAN network, listen address, host name), proposing defaults read from this machine: the installed MTA, the LAN subnet and address, the host name. Every answer is checked as it is typed. Servers: ${SERVER_LIST}.`,
    'It then shows the plan (files, modes, steps), writes only after you confirm (every file goes to a temporary name first and all are renamed at the end, so Ctrl-C at any point leaves nothing half-written), runs the follow-up steps on the real system, offers to run omr test and omr check-exposure, and prints what to enter in Outlook or Thunderbird on the office PCs.',
    'With --answers FILE (YAML or JSON with the keys server, user, password-file, smarthost, tls, ca, lan, listen, hostname, run-test, check-exposure) it replays a run without any prompt. The password comes from OMR_PASSWORD, password-file, or the prompt; it is never stored in the answers file.',
  ].join('\n\n'),
  options: [
    { flags: '--answers <file>', description: 'replay answers from a YAML/JSON file; no prompts' },
    { flags: '--out <dir>', description: 'write under DIR as a mirror of the system paths instead of the system; nothing is run' },
    { flags: '--dry-run', description: 'show the plan and the diff, write nothing' },
    { flags: '--password-file <file>', description: 'file whose first line is the OMR password (or set OMR_PASSWORD)' },
    { flags: '--ca <file>', description: 'trust this CA for the smarthost (rehearsals against omr simulate)' },
  ],
  examples: [
    { command: 'sudo omr setup', description: 'configure the mail server of this gateway step by step' },
    { command: 'omr setup --out ./preview', description: 'answer the questions, write the files under ./preview only' },
    { command: 'OMR_PASSWORD=... omr setup --answers office.yaml --json', description: 'replay a saved run in a script' },
  ],
  load: () => import('./run.js'),
};
