#!/bin/sh
# install.sh of a release (make release writes it with the release's version and address filled in).
#
#   sh install.sh [--prefix DIR] [ARCHIVE]
#
# Installs kubectl-build's single executable for this machine into DIR/bin (default: /usr/local, or
# ~/.local when that is not writable), and links kubectl-buildkit, kubectl-trust and the
# kubectl_complete- helpers to it. Without ARCHIVE it downloads the archive for this machine and the
# release's SHA256SUMS; with ARCHIVE (a downloaded kubectl-build-*.tar.gz) it reads SHA256SUMS
# beside it. Either way the archive must match its sum, and the executable this machine's
# architecture. Needs curl (or wget) only to download.
set -eu
VERSION=@VERSION@
BASE_URL=@BASE_URL@

fail() { printf 'error: %s\nhint: %s\n' "$1" "$2" >&2; exit 1; }

prefix=
archive=
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) [ $# -ge 2 ] || fail "--prefix needs a folder" "sh install.sh --prefix ~/.local"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    -h | --help) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) fail "unknown option $1" "sh install.sh [--prefix DIR] [ARCHIVE]" ;;
    *) archive=$1; shift ;;
  esac
done

os=$(uname -s | tr '[:upper:]' '[:lower:]')
case $(uname -m) in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
wanted=kubectl-build-$VERSION-$os-$arch.tar.gz
case $os/$arch in
  linux/amd64 | linux/arm64) ;;
  *) fail "this release has no single executable for $os/$arch (only linux/amd64 and linux/arm64)" \
    "install the npm package instead, with Node.js 24: npm install -g kubectl-build" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

download() { # download URL FILE
  if command -v curl >/dev/null; then curl -fsSL -o "$2" "$1"
  elif command -v wget >/dev/null; then wget -q -O "$2" "$1"
  else fail "neither curl nor wget is installed" "install one of them, or download $1 yourself and pass it: sh install.sh FILE"; fi \
    || fail "could not download $1" "check the address and the network, or download it yourself and pass it: sh install.sh FILE"
}

if [ -z "$archive" ]; then
  archive=$work/$wanted
  download "$BASE_URL$wanted" "$archive"
  download "${BASE_URL}SHA256SUMS" "$work/SHA256SUMS"
  sums=$work/SHA256SUMS
else
  [ -f "$archive" ] || fail "$archive does not exist" "pass the path of a downloaded kubectl-build-*.tar.gz"
  sums=$(dirname "$archive")/SHA256SUMS
  [ -f "$sums" ] || fail "there is no SHA256SUMS beside $archive" "download SHA256SUMS from the same release into $(dirname "$archive")"
fi

name=$(basename "$archive")
expected=$(awk -v n="$name" '$2 == n || $2 == "*" n { print $1 }' "$sums")
[ -n "$expected" ] || fail "$name is not listed in $sums" "use an archive of release $VERSION, with its own SHA256SUMS"
if command -v sha256sum >/dev/null; then actual=$(sha256sum "$archive" | cut -d' ' -f1); else actual=$(shasum -a 256 "$archive" | cut -d' ' -f1); fi
[ "$actual" = "$expected" ] || fail "$name does not match its sha256 in SHA256SUMS (damaged or altered)" "download it again"

tar -xzf "$archive" -C "$work" kubectl-build LICENSE 2>/dev/null || fail "$name does not hold kubectl-build and LICENSE" "download $wanted again"
# The architecture the executable was built for, from its ELF header (e_machine, bytes 18-19).
case $(od -An -tx1 -j18 -N2 "$work/kubectl-build" | tr -d ' \n') in
  3e00) built=amd64 ;;
  b700) built=arm64 ;;
  *) built=unknown ;;
esac
[ "$built" = "$arch" ] || fail "$name holds a linux/$built executable, and this machine is $os/$arch" "use $wanted"

if [ -z "$prefix" ]; then
  prefix=/usr/local
  [ -w "$prefix/bin" ] || prefix=$HOME/.local
fi
mkdir -p "$prefix/bin"
cp "$work/kubectl-build" "$prefix/bin/.kubectl-build.new"
chmod 755 "$prefix/bin/.kubectl-build.new"
mv -f "$prefix/bin/.kubectl-build.new" "$prefix/bin/kubectl-build"
for link in kubectl-buildkit kubectl-trust kubectl_complete-build kubectl_complete-buildkit kubectl_complete-trust; do
  ln -sfn kubectl-build "$prefix/bin/$link"
done
echo "installed kubectl-build $VERSION into $prefix/bin (kubectl build, kubectl buildkit, kubectl trust)"
case :$PATH: in *:"$prefix/bin":*) ;; *) echo "add $prefix/bin to PATH to use them" ;; esac
