#!/usr/bin/env node
// The agent's own small entry (what the systemd unit runs): the agent commands without the server's code.
import { Command } from 'commander';
import { agentCommands } from './commands.ts';

const program = agentCommands(new Command('patchline-agent').description('the Patchline endpoint agent'));
program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`patchline-agent: ${(e as Error).message ?? e}`);
  process.exit(1);
});
