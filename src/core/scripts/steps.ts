import type { OsFamily } from '../policies/model.ts';
import type { RequiredSoftwarePolicy, Script, ScriptStep, WorkletPolicy } from './model.ts';

// What a script job asks the agent to run, derived from a policy for one device's OS family, and the
// evaluation a required-software policy implies: exit 0 when the package is installed (at the version
// asked, when one is), 1 when it is missing. Package names and versions are restricted to a safe
// character set by the parser (PACKAGE_NAME), so quoting them in single quotes is enough.

/** the steps of a worklet on a device of `os`; null when the worklet has no scripts for that family */
export function workletSteps(w: WorkletPolicy, os: OsFamily | null): ScriptStep[] | null {
  const s = w.scripts.find((x) => x.osFamily === os);
  if (!s) return null;
  return s.evaluation
    ? [
        { phase: 'evaluation', script: s.evaluation, when: 'always' },
        { phase: 'remediation', script: s.remediation, when: 'previous-failed' },
      ]
    : [{ phase: 'remediation', script: s.remediation, when: 'always' }];
}

/** the steps of a required-software policy on a device of `os`; null when the policy is for another family */
export function requiredSoftwareSteps(r: RequiredSoftwarePolicy, os: OsFamily | null): ScriptStep[] | null {
  if (r.osFamily !== os) return null;
  return [
    {
      phase: 'evaluation',
      script: requiredSoftwareEvaluation(r.osFamily, r.packageName, r.packageVersion),
      when: 'always',
    },
    { phase: 'install', script: r.installation, when: 'previous-failed' },
  ];
}

/** an ad-hoc run: one step */
export const adHocSteps = (script: Script): ScriptStep[] => [{ phase: 'run', script, when: 'always' }];

const q = (s: string) => `'${s}'`;

// a version matches when it is the one asked, or starts with it followed by a separator (1.2 matches
// 1.2.3-1); an epoch (1:) is ignored
const SH_MATCH = `v=\${v#*:}
if [ -z "$want" ]; then echo "$pkg $v is installed"; exit 0; fi
case "$v" in
  "$want"|"$want".*|"$want"-*|"$want"+*|"$want"~*) echo "$pkg $v is installed"; exit 0 ;;
esac
echo "$pkg $v is installed, not $want"; exit 1`;

/** the evaluation script of a required-software policy for the family's package managers */
export function requiredSoftwareEvaluation(
  os: OsFamily,
  packageName: string,
  version: string | null,
): Script {
  const want = version ?? '';
  switch (os) {
    case 'linux':
      return {
        shell: 'sh',
        code: `pkg=${q(packageName)}; want=${q(want)}; v=''
if command -v dpkg-query >/dev/null 2>&1; then
  v=$(dpkg-query -W -f='\${Status} \${Version}\\n' "$pkg" 2>/dev/null | awk '$3 == "installed" { print $4; exit }')
fi
if [ -z "$v" ] && command -v rpm >/dev/null 2>&1; then
  v=$(rpm -q --qf '%{VERSION}-%{RELEASE}\\n' "$pkg" 2>/dev/null | head -n 1) || v=''
  case "$v" in *"not installed"*) v='' ;; esac
fi
if [ -z "$v" ]; then echo "$pkg is not installed"; exit 1; fi
${SH_MATCH}
`,
      };
    case 'macos':
      return {
        shell: 'sh',
        code: `pkg=${q(packageName)}; want=${q(want)}; v=''
if pkgutil --pkg-info "$pkg" >/dev/null 2>&1; then
  v=$(pkgutil --pkg-info "$pkg" | awk '/^version:/ { print $2 }')
elif [ -d "/Applications/$pkg.app" ]; then
  v=$(defaults read "/Applications/$pkg.app/Contents/Info" CFBundleShortVersionString 2>/dev/null || echo 0)
elif command -v brew >/dev/null 2>&1; then
  v=$(brew list --versions "$pkg" 2>/dev/null | awk '{ print $2 }')
fi
if [ -z "$v" ]; then echo "$pkg is not installed"; exit 1; fi
${SH_MATCH}
`,
      };
    case 'windows':
      return {
        shell: 'powershell',
        code: `$pkg = ${q(packageName)}; $want = ${q(want)}
$keys = 'HKLM:\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*', 'HKLM:\\Software\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*'
$found = @(Get-ItemProperty $keys -ErrorAction SilentlyContinue | Where-Object { $_.DisplayName -eq $pkg })
if ($found.Count -eq 0) { $found = @(Get-Package -Name $pkg -ErrorAction SilentlyContinue | Select-Object @{ n = 'DisplayVersion'; e = { $_.Version } }) }
if ($found.Count -eq 0) { Write-Output "$pkg is not installed"; exit 1 }
if ($want -eq '') { Write-Output "$pkg is installed"; exit 0 }
if ($found | Where-Object { $_.DisplayVersion -eq $want -or "$($_.DisplayVersion)" -like "$want.*" }) { Write-Output "$pkg $want is installed"; exit 0 }
Write-Output "$pkg is installed, not $want"; exit 1
`,
      };
  }
}
