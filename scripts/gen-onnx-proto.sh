#!/usr/bin/env bash
# Regenerates Sources/StratumONNXProto/onnx-ml.pb.swift, the Swift code for ONNX's protobuf
# messages, which is committed (SwiftPM's protobuf build plugin would cost ~9.5 minutes on
# every clean build).
#
#   bash scripts/gen-onnx-proto.sh [PROTO_DIR]
#
# The schema is onnx-ml.proto as shipped in the `onnx` wheel (pinned below; PROTO_DIR
# overrides where it is read from); the generator is protoc (Debian's protobuf-compiler)
# with protoc-gen-swift built from apple/swift-protobuf at the version Package.swift pins.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ONNX_VERSION=1.23.2
SWIFT_PROTOBUF_VERSION=1.39.0
work=${TMPDIR:-/tmp}/stratum-onnx-proto
mkdir -p "$work"

command -v protoc >/dev/null || { apt-get install -y -q protobuf-compiler >/dev/null || sudo apt-get install -y -q protobuf-compiler >/dev/null; }

proto_dir=${1:-}
if [ -z "$proto_dir" ]; then
    if [ ! -x "$work/venv/bin/python" ]; then python3 -m venv "$work/venv"; fi
    "$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "onnx==$ONNX_VERSION"
    proto_dir=$("$work/venv/bin/python" -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')
fi
[ -f "$proto_dir/onnx-ml.proto" ] || { echo "gen-onnx-proto: no onnx-ml.proto in $proto_dir" >&2; exit 1; }

plugin=$work/swift-protobuf/.build/release/protoc-gen-swift
if [ ! -x "$plugin" ]; then
    rm -rf "$work/swift-protobuf"
    git clone --quiet --depth 1 --branch "$SWIFT_PROTOBUF_VERSION" https://github.com/apple/swift-protobuf "$work/swift-protobuf"
    (cd "$work/swift-protobuf" && swift build -c release --product protoc-gen-swift)
fi

# Only the one schema file goes in: protoc names generated files after it.
cp "$proto_dir/onnx-ml.proto" "$work/onnx-ml.proto"
protoc --plugin=protoc-gen-swift="$plugin" --swift_out="$ROOT/Sources/StratumONNXProto" \
       --swift_opt=Visibility=Public -I "$work" "$work/onnx-ml.proto"
echo "gen-onnx-proto: wrote Sources/StratumONNXProto/onnx-ml.pb.swift from onnx $ONNX_VERSION's onnx-ml.proto"
