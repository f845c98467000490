#!/usr/bin/env bash
# Makes localhost/opus-aspnet:10.0, a local stand-in for mcr.microsoft.com/dotnet/aspnet:10.0 on machines
# that reach no image registry: a minimal Debian 12 (debootstrap, from the Debian mirror apt uses) with
# this machine's ASP.NET Core 10 runtime copied in at /usr/share/dotnet, and the user app (uid 1654),
# as in the official image. Needs root, debootstrap and podman. Then:
#   podman build --isolation=chroot --build-arg BASE_IMAGE=localhost/opus-aspnet:10.0 \
#     -f deploy/container/Containerfile -t localhost/opus:test artifacts
# Usage: scripts/local-base-image.sh [image name]   (does nothing when the image exists)
set -euo pipefail
image=${1:-localhost/opus-aspnet:10.0}
podman image exists "$image" && { echo "$image"; exit 0; }
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
mirror=${OPUS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d /var/tmp/opus-base-XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"

debootstrap --variant=minbase --include=libicu72,libssl3,ca-certificates,tzdata bookworm "$root" "$mirror" >&2
mkdir -p "$root/usr/share/dotnet/shared"
cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$root/usr/share/dotnet/"
cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$dotnet_root/shared/Microsoft.AspNetCore.App" "$root/usr/share/dotnet/shared/"
ln -sf /usr/share/dotnet/dotnet "$root/usr/bin/dotnet"
chroot "$root" groupadd --gid 1654 app
chroot "$root" useradd --uid 1654 --gid 1654 --no-create-home --shell /bin/false app
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | podman import --change 'ENV DOTNET_RUNNING_IN_CONTAINER=true APP_UID=1654' - "$image" >&2
echo "$image"
