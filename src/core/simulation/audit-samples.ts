// Audit outputs the simulated machines answer with, in the formats the real tools print
// (core/audit/*-parse.ts read them; test/core/audit/windows-macos-parse.test.ts checks what they give):
// - WINDOWS: the JSON of core/audit/windows-parse.ts WINDOWS_AUDIT_SCRIPT (ConvertTo-Json of the CIM
//   classes, property names and value encodings as Windows documents them: DriveType 3, ChassisTypes
//   [3], productState 397568 = enabled and up to date, InstallDate yyyymmdd). Composed for Patchline
//   in that format; not captured from a Windows machine (there is none here).
// - MACOS: `system_profiler -json -detailLevel mini` of the data types in MACOS_AUDIT_ARGS, composed in
//   the keys system_profiler prints (machine_model, serial_number, _items …); not captured either.
// - LINUX_PASSWD, LINUX_GROUP: cut from /etc/passwd and /etc/group recorded on the Debian 12 build machine
//   (test/core/audit/fixtures/linux/); LINUX_DF and LINUX_ENABLED_SERVICES are composed in the recorded
//   outputs' formats; LINUX_OS_RELEASE holds each distribution's documented keys.

export const WINDOWS_AUDIT_SAMPLE = JSON.stringify({
  ComputerSystem: {
    Name: 'WIN-SIM',
    Domain: 'WORKGROUP',
    Manufacturer: 'Dell Inc.',
    Model: 'OptiPlex 7090',
    TotalPhysicalMemory: 17014378496,
  },
  OperatingSystem: {
    Caption: 'Microsoft Windows 11 Pro',
    Version: '10.0.22631',
    LastBootUpTime: '2026-12-01T07:12:44.0000000Z',
  },
  BIOS: {
    Manufacturer: 'Dell Inc.',
    SMBIOSBIOSVersion: '1.21.0',
    SerialNumber: '7XK2QH3',
    ReleaseDate: '2024-03-12',
  },
  Enclosure: { Manufacturer: 'Dell Inc.', SerialNumber: '7XK2QH3', SMBIOSAssetTag: '', ChassisTypes: [3] },
  BaseBoard: {
    Manufacturer: 'Dell Inc.',
    Product: '0NFKRN',
    Version: 'A00',
    SerialNumber: '/7XK2QH3/CNCMK0013B00C3/',
  },
  Processor: {
    Manufacturer: 'GenuineIntel',
    Name: '11th Gen Intel(R) Core(TM) i7-11700 @ 2.50GHz',
    MaxClockSpeed: 2496,
    NumberOfLogicalProcessors: 16,
  },
  Products: [
    {
      DisplayName: 'Google Chrome',
      DisplayVersion: '131.0.6778.86',
      Publisher: 'Google LLC',
      InstallLocation: 'C:\\Program Files\\Google\\Chrome\\Application',
      InstallDate: '20241118',
      EstimatedSize: 565432,
      UninstallString:
        '"C:\\Program Files\\Google\\Chrome\\Application\\131.0.6778.86\\Installer\\setup.exe" --uninstall --channel=stable --system-level --verbose-logging',
    },
    {
      DisplayName: '7-Zip 24.08 (x64)',
      DisplayVersion: '24.08',
      Publisher: 'Igor Pavlov',
      InstallLocation: 'C:\\Program Files\\7-Zip\\',
      EstimatedSize: 5749,
      UninstallString: '"C:\\Program Files\\7-Zip\\Uninstall.exe"',
    },
    {
      DisplayName: 'Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.40.33810',
      DisplayVersion: '14.40.33810.0',
      Publisher: 'Microsoft Corporation',
      InstallDate: '20240611',
      EstimatedSize: 20536,
      UninstallString: 'MsiExec.exe /X{A181A302-3F6D-4BAD-97A8-A426A6499D78}',
    },
    {
      DisplayName: 'Mozilla Firefox (x64 en-US)',
      DisplayVersion: '133.0',
      Publisher: 'Mozilla',
      InstallLocation: 'C:\\Program Files\\Mozilla Firefox',
      EstimatedSize: 250880,
      UninstallString: '"C:\\Program Files\\Mozilla Firefox\\uninstall\\helper.exe"',
    },
  ],
  LogicalDisk: [
    {
      DeviceID: 'C:',
      DriveType: 3,
      FileSystem: 'NTFS',
      VolumeName: 'Windows',
      Size: 510770802688,
      FreeSpace: 318460588032,
    },
    { DeviceID: 'D:', DriveType: 5, FileSystem: null, VolumeName: null, Size: null, FreeSpace: null },
  ],
  DiskDrive: {
    Model: 'PM9A1 NVMe Samsung 512GB',
    Manufacturer: '(Standard disk drives)',
    Size: 512105932800,
    InterfaceType: 'SCSI',
    SerialNumber: '0025_3881_1B42_0F11.',
  },
  PnPEntity: [
    {
      Name: 'Intel(R) Ethernet Connection (14) I219-LM',
      Manufacturer: 'Intel',
      PNPClass: 'Net',
      DeviceID: 'PCI\\VEN_8086&DEV_15F9&SUBSYS_0A6B1028&REV_11\\3&11583659&0&FE',
    },
    {
      Name: 'Intel(R) UHD Graphics 750',
      Manufacturer: 'Intel Corporation',
      PNPClass: 'Display',
      DeviceID: 'PCI\\VEN_8086&DEV_4C8A&SUBSYS_0A6B1028&REV_04\\3&11583659&0&10',
    },
    {
      Name: 'Standard NVM Express Controller',
      Manufacturer: 'Standard NVM Express Controller',
      PNPClass: 'SCSIAdapter',
      DeviceID: 'PCI\\VEN_144D&DEV_A80A&SUBSYS_A801144D&REV_00\\4&2C1D4D8A&0&0008',
    },
  ],
  Printer: [
    { Name: 'Microsoft Print to PDF', PortName: 'PORTPROMPT:', DriverName: 'Microsoft Print To PDF' },
    { Name: 'HP LaserJet M507 (Floor 2)', PortName: '192.0.2.40', DriverName: 'HP Universal Printing PCL 6' },
  ],
  AntiVirusProduct: { displayName: 'Windows Defender', productState: 397568 },
  FirewallProduct: [],
  StartupCommand: [
    { Name: 'SecurityHealth', Command: '%windir%\\system32\\SecurityHealthSystray.exe', User: 'Public' },
    {
      Name: 'OneDrive',
      Command: '"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe" /background',
      User: 'WIN-SIM\\alice',
    },
  ],
  UserAccount: [
    {
      Name: 'Administrator',
      FullName: '',
      Description: 'Built-in account for administering the computer/domain',
      Disabled: true,
      Lockout: false,
      PasswordRequired: true,
      PasswordExpires: false,
      PasswordChangeable: true,
    },
    {
      Name: 'alice',
      FullName: 'Alice Example',
      Description: '',
      Disabled: false,
      Lockout: false,
      PasswordRequired: true,
      PasswordExpires: false,
      PasswordChangeable: true,
    },
    {
      Name: 'Guest',
      FullName: '',
      Description: 'Built-in account for guest access to the computer/domain',
      Disabled: true,
      Lockout: false,
      PasswordRequired: false,
      PasswordExpires: false,
      PasswordChangeable: false,
    },
  ],
  Group: [
    {
      Name: 'Administrators',
      Description: 'Administrators have complete and unrestricted access to the computer/domain',
    },
    {
      Name: 'Users',
      Description:
        'Users are prevented from making accidental or intentional system-wide changes and can run most applications',
    },
    {
      Name: 'Remote Desktop Users',
      Description: 'Members in this group are granted the right to logon remotely',
    },
  ],
  GroupUser: [
    { Group: 'Administrators', Member: 'Administrator' },
    { Group: 'Administrators', Member: 'alice' },
    { Group: 'Users', Member: 'alice' },
  ],
  License: {
    Name: 'Windows(R), Professional edition',
    Description: 'Windows(R) Operating System, OEM_DM channel',
    PartialProductKey: '3V66T',
    ProductKeyChannel: 'OEM:DM',
    LicenseStatus: 1,
  },
});

export const MACOS_AUDIT_SAMPLE = JSON.stringify({
  SPHardwareDataType: [
    {
      _name: 'hardware_overview',
      boot_rom_version: '10151.101.3',
      chip_type: 'Apple M1',
      machine_model: 'MacBookAir10,1',
      machine_name: 'MacBook Air',
      number_processors: 'proc 8:4:4',
      physical_memory: '16 GB',
      serial_number: 'C02FJ0ABQ6L4',
    },
  ],
  SPSoftwareDataType: [
    {
      _name: 'os_overview',
      kernel_version: 'Darwin 23.4.0',
      local_host_name: 'mac-sim',
      os_version: 'macOS 14.4.1 (23E224)',
      uptime: 'up 3:04:11:08',
    },
  ],
  SPApplicationsDataType: [
    {
      _name: 'Safari',
      lastModified: '2024-04-02T08:11:09Z',
      obtained_from: 'apple',
      path: '/Applications/Safari.app',
      version: '17.4.1',
    },
    {
      _name: 'Google Chrome',
      info: 'Google Chrome 131.0.6778.86, Copyright 2024 Google LLC.',
      lastModified: '2024-11-19T10:02:51Z',
      obtained_from: 'identified_developer',
      path: '/Applications/Google Chrome.app',
      version: '131.0.6778.86',
    },
    {
      _name: 'Microsoft Word',
      lastModified: '2024-11-12T16:40:03Z',
      obtained_from: 'identified_developer',
      path: '/Applications/Microsoft Word.app',
      version: '16.91',
    },
  ],
  SPStorageDataType: [
    {
      _name: 'Macintosh HD - Data',
      file_system: 'APFS',
      free_space_in_bytes: 311240765440,
      mount_point: '/System/Volumes/Data',
      physical_drive: {
        device_name: 'APPLE SSD AP0512Q',
        is_internal_disk: 'yes',
        media_name: 'AppleAPFSMedia',
      },
      size_in_bytes: 494384795648,
    },
  ],
  SPPrintersDataType: [
    { _name: 'HP_LaserJet_M507', ppd: 'HP LaserJet M507', uri: 'ipp://192.0.2.40/ipp/print' },
  ],
  SPFirewallDataType: [
    { _name: 'firewall_settings_level', spfirewall_globalstate: 'spfirewall_globalstate_limit_connections' },
  ],
  SPNVMeDataType: [
    {
      _name: 'Apple SSD Controller',
      _items: [
        {
          _name: 'APPLE SSD AP0512Q',
          device_model: 'APPLE SSD AP0512Q',
          device_serial: '0ba0146ac1a2b413',
          size: '500,28 GB',
        },
      ],
    },
  ],
  SPPCIDataType: [],
});

/** /etc/os-release of each simulated Linux family (the real files' keys) */
export const LINUX_OS_RELEASE: Record<string, string> = {
  debian:
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n',
  ubuntu: 'PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\n',
  rhel: 'NAME="Red Hat Enterprise Linux"\nVERSION_ID="9.4"\nPRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"\nID="rhel"\n',
  suse: 'NAME="SLES"\nVERSION_ID="15.6"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP6"\nID="sles"\n',
};

/** the start of the recorded /etc/passwd and /etc/group */
export const LINUX_PASSWD = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin
postgres:x:100:107:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash
`;
export const LINUX_GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
sudo:x:27:
www-data:x:33:
users:x:100:
nogroup:x:65534:
systemd-network:x:998:
ssl-cert:x:106:postgres
postgres:x:107:
`;
export const LINUX_ENABLED_SERVICES = `cron.service               enabled enabled
ssh.service                enabled enabled
systemd-timesyncd.service  enabled enabled
`;
export const LINUX_DF = `Filesystem     Type     1-blocks        Used   Available Capacity Mounted on
udev           devtmpfs 4096000000           0 4096000000       0% /dev
/dev/sda1      ext4     105089261568 22548578304 77148368896      23% /
/dev/sda15     vfat       109422592     6211072   103211520       6% /boot/efi
`;
