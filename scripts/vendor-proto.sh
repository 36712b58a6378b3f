#!/usr/bin/env bash
# Vendor one .proto file from a local git clone of its upstream repository, unchanged below a
# header that names the repository, the commit, the path and the file's hashes (the git blob
# id, as `git rev-parse COMMIT:PATH` prints it, and sha256). test/proto-contract.test.ts
# checks the header against the body; `npm run proto` then regenerates src/viam/gen/.
#
#   scripts/vendor-proto.sh GIT_DIR OWNER/NAME COMMIT UPSTREAM_PATH DEST
#   scripts/vendor-proto.sh ~/src/api/.git viamrobotics/api 1e83f5d6c837e2a34daceb5042ddd14e5c92ef64 \
#     proto/viam/app/v1/billing.proto proto/viam/app/v1/billing.proto
set -euo pipefail
if [ $# -ne 5 ]; then sed -n '2,9p' "$0" >&2; exit 2; fi
gitdir=$1 name=$2 commit=$3 path=$4 dest=$5
commit=$(git --git-dir="$gitdir" rev-parse --verify "$commit^{commit}")
blob=$(git --git-dir="$gitdir" rev-parse "$commit:$path")
sha=$(git --git-dir="$gitdir" cat-file blob "$blob" | sha256sum | cut -d' ' -f1)
mkdir -p "$(dirname "$dest")"
{
  echo "// Vendored, unchanged below the line of dashes, from github.com/$name"
  echo "// commit: $commit"
  echo "// path: $path"
  echo "// git blob: $blob"
  echo "// sha256: $sha"
  echo "// ----------------------------------------------------------------------------"
  git --git-dir="$gitdir" cat-file blob "$blob"
} > "$dest"
echo "vendored $name $path at ${commit:0:12} into $dest" >&2
