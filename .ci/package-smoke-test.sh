#!/usr/bin/env bash
# Installs the two packed packages into a fresh console project (from artifacts/packages plus the registry that
# nuget.config names) and runs the README's quickstart there, exactly as printed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
packages="$repo/artifacts/packages"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

registry=$(sed -n 's:.*<add key="[^"]*" value="\([^"]*\)".*:\1:p' "$repo/nuget.config" | head -1)
cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$packages" />
    <add key="registry" value="$registry" />
  </packageSources>
</configuration>
CONFIG

cd "$work"
# A private package cache: a cached older package of the same version must not stand in for the one just packed.
export NUGET_PACKAGES="$work/cache"
dotnet new console --framework net10.0 --name Quickstart --output app >/dev/null
cd app
dotnet add package SparseDictionary --version "$version" >/dev/null
dotnet add package SparseDictionary.Metrics --version "$version" >/dev/null
# The first ```csharp block after the <!-- quickstart --> marker, verbatim.
awk '/<!-- quickstart -->/{found=1} found && /^```csharp/{inside=1; next} inside && /^```/{exit} inside{print}' "$repo/README.md" > Program.cs
test -s Program.cs || { echo "No quickstart block found in README.md" >&2; exit 1; }
output=$(dotnet run -c Release 2>&1) || { echo "$output" >&2; exit 1; }
echo "$output" | tail -3
echo "package smoke test: the README quickstart ran against SparseDictionary $version from $packages"
