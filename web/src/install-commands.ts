// The one-line agent install command for each operating system, as the enrollment page shows it.
// Each line installs Node.js (the agent runs on Node 20 or later), enrolls the machine with the install
// token, and starts the agent as a service. The `patchline` command itself comes from this server's
// release (npm install -g of the Patchline package or a checkout), which the page says.

export interface InstallCommand {
  key: string;
  label: string;
  /** where to paste it */
  shell: string;
  command: string;
}

/** a value quoted for a POSIX shell: 'it''s' → 'it'\''s' */
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** a value quoted for PowerShell: single quotes doubled */
const ps = (s: string) => `'${s.replace(/'/g, "''")}'`;

export function installCommands(server: string, token: string): InstallCommand[] {
  const linux = (install: string, backend: string) =>
    `${install} && sudo patchline agent enroll --server ${sh(server)} --token ${sh(token)} --backend ${backend}` +
    ' && sudo patchline agent install-service && sudo systemctl daemon-reload' +
    ' && sudo systemctl enable --now patchline-agent';
  const winConfig = '"$env:ProgramData\\Patchline\\agent.json"';
  const winState = '"$env:ProgramData\\Patchline\\state"';
  return [
    {
      key: 'debian',
      label: 'Debian / Ubuntu',
      shell: 'a root shell or sudo',
      command: linux('sudo apt-get install -y nodejs', 'apt'),
    },
    {
      key: 'rhel',
      label: 'RHEL / Rocky / Alma',
      shell: 'a root shell or sudo',
      command: linux('sudo dnf install -y nodejs', 'dnf'),
    },
    {
      key: 'suse',
      label: 'SUSE',
      shell: 'a root shell or sudo',
      command: linux('sudo zypper --non-interactive install nodejs20', 'zypper'),
    },
    {
      key: 'windows',
      label: 'Windows',
      shell: 'PowerShell as Administrator',
      command:
        'winget install --silent OpenJS.NodeJS.LTS; ' +
        `patchline agent enroll --server ${ps(server)} --token ${ps(token)} --backend windows ` +
        `--config ${winConfig} --state-dir ${winState}; ` +
        'schtasks /Create /F /RU SYSTEM /SC ONSTART /TN "Patchline agent" ' +
        `/TR "patchline agent run --config $env:ProgramData\\Patchline\\agent.json"; ` +
        'schtasks /Run /TN "Patchline agent"',
    },
    {
      key: 'macos',
      label: 'macOS',
      shell: 'Terminal, as an administrator',
      command:
        `brew install node && sudo patchline agent enroll --server ${sh(server)} --token ${sh(token)} --backend macos` +
        ' && sudo nohup patchline agent run > /var/log/patchline-agent.log 2>&1 &',
    },
  ];
}
