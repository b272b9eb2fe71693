#!/bin/sh
# Regenerates Tests/RTDKitTests/WebRTC/Fixtures/VideoFixtures.swift: 10 frames of ffmpeg's testsrc2
# at 320x240, as H.264 constrained-baseline Annex-B (with AUDs, IDR every 5 frames) and as VP8
# in IVF (keyframe every 5 frames), embedded as base64.
# Run from the package root: sh tools/webrtc-fixtures/make_video_fixtures.sh
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ffmpeg -loglevel error -y -f lavfi -i testsrc2=s=320x240:r=30 -frames:v 10 -c:v libx264 \
    -profile:v baseline -pix_fmt yuv420p -x264-params aud=1:keyint=5:min-keyint=5:scenecut=0 \
    -bsf:v h264_mp4toannexb -f h264 "$tmp/clip.h264"
ffmpeg -loglevel error -y -f lavfi -i testsrc2=s=320x240:r=30 -frames:v 10 -c:v libvpx -g 5 \
    -b:v 300k "$tmp/clip.ivf"
out=Tests/RTDKitTests/WebRTC/Fixtures/VideoFixtures.swift
{
    echo "import Foundation"
    echo
    echo "/// Real encoder output made by tools/webrtc-fixtures/make_video_fixtures.sh (ffmpeg testsrc2, 320x240, 10 frames)."
    echo "enum VideoFixtures {"
    echo "    /// libx264 baseline, Annex-B with AUD NAL units, IDR every 5 frames."
    echo "    static let h264AnnexB = decode(\"\"\""
    base64 -w 76 "$tmp/clip.h264" | sed 's/^/        /'
    echo "        \"\"\")"
    echo
    echo "    /// libvpx VP8 in an IVF container, keyframe every 5 frames."
    echo "    static let vp8IVF = decode(\"\"\""
    base64 -w 76 "$tmp/clip.ivf" | sed 's/^/        /'
    echo "        \"\"\")"
    echo
    echo "    private static func decode(_ text: String) -> [UInt8] {"
    echo "        Array(Data(base64Encoded: text, options: .ignoreUnknownCharacters) ?? Data())"
    echo "    }"
    echo "}"
} > "$out"
echo "wrote $out"
