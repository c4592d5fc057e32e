// `patchline agent …`: the agent's own commands (agent/commands.ts), mounted under the server's CLI.
import type { Command } from 'commander';
import { agentCommands } from '../agent/commands.ts';

export function registerAgentCommands(program: Command): void {
  agentCommands(
    program.command('agent').description('the endpoint agent: enroll, run, scan, status, install-service'),
  );
}
