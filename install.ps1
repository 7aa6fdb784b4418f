# Install Minuku's native host for Thunderbird on Windows (PowerShell).
#
#   powershell -ExecutionPolicy Bypass -File install.ps1 [--profile NAME_OR_PATH] [--lang ja]
#
# Same steps as install.sh: a venv in %LOCALAPPDATA%\Minuku\venv, pip install of this checkout,
# `minuku install` (launcher minuku-host.bat, host manifest, HKCU registry key, dist\minuku.xpi),
# an offline check of a sample phishing mail, and how to add the add-on.
# Undo with: & "$env:LOCALAPPDATA\Minuku\venv\Scripts\minuku.exe" uninstall
$ErrorActionPreference = 'Stop'

$Repo = Split-Path -Parent $MyInvocation.MyCommand.Path
$Data = Join-Path $env:LOCALAPPDATA 'Minuku'
$Venv = Join-Path $Data 'venv'
$VPy = Join-Path $Venv 'Scripts\python.exe'
$Minuku = Join-Path $Venv 'Scripts\minuku.exe'
$Sample = Join-Path $Repo 'examples\amazon-keiyaku-furikou-phish.eml'

function Fail($msg) { Write-Error "minuku install.ps1: $msg"; exit 1 }

function Test-Python($exe, $extra) {
    & $exe @extra -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>$null
    return $LASTEXITCODE -eq 0
}

$Py = $null; $PyArgs = @()
if ($env:PYTHON) {
    if (Test-Python $env:PYTHON @()) { $Py = $env:PYTHON }
} elseif ((Get-Command py -ErrorAction SilentlyContinue) -and (Test-Python 'py' @('-3'))) {
    $Py = 'py'; $PyArgs = @('-3')
} elseif ((Get-Command python -ErrorAction SilentlyContinue) -and (Test-Python 'python' @())) {
    $Py = 'python'
}
if (-not $Py) { Fail 'Python 3.11 or newer is needed (python.org installer, with the "py" launcher).' }

Write-Host "== Minuku: host venv in $Venv"
New-Item -ItemType Directory -Force -Path $Data | Out-Null
if (-not ((Test-Path $VPy) -and (Test-Python $VPy @()))) {
    & $Py @PyArgs -m venv --clear $Venv
    if ($LASTEXITCODE -ne 0) { Fail 'could not create the venv' }
}
& $VPy -m pip --version *> $null
if ($LASTEXITCODE -ne 0) {
    & $VPy -m ensurepip --upgrade
    if ($LASTEXITCODE -ne 0) { Fail 'the venv has no pip and ensurepip failed' }
}

Write-Host "== Installing Minuku into the venv (pip install $Repo)"
& $VPy -m pip install --disable-pip-version-check --quiet --upgrade $Repo
if ($LASTEXITCODE -ne 0) { Fail 'pip could not install Minuku (see the messages above)' }

Write-Host '== Registering the native host with Thunderbird'
& $Minuku install --source $Repo @args
if ($LASTEXITCODE -ne 0) { Fail 'minuku install failed' }

Write-Host ''
Write-Host '== Checking a sample phishing mail offline'
if (Test-Path $Sample) {
    & $Minuku check --offline $Sample
    if ($LASTEXITCODE -ne 0) { Fail "the host could not check the sample; run `"$Minuku`" doctor" }
}

Write-Host ''
$Xpi = Join-Path $Repo 'dist\minuku.xpi'
if ($args -contains '--profile') {
    Write-Host 'Done. Restart Thunderbird and enable Minuku in Add-ons and Themes if it asks.'
} elseif (Test-Path $Xpi) {
    Write-Host 'Done. Now add the add-on: Thunderbird > Add-ons and Themes > gear icon >'
    Write-Host "  Install Add-on From File... > $Xpi"
} else {
    Write-Host 'The host is installed, but the add-on package dist\minuku.xpi was not built (see above).'
}
Write-Host "Check the installation at any time: `"$Minuku`" doctor"
