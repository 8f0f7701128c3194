#!/bin/sh
# Renders the PNGs from the SVG sources. Run by hand after editing an SVG and commit the PNGs:
# the build does not render anything. Needs rsvg-convert (Debian: apt-get install librsvg2-bin).
set -eu
cd "$(dirname "$0")"
for svg in tray/*.svg; do
  name="${svg%.svg}"
  rsvg-convert -w 22 -h 22 "$svg" -o "$name.png"
  rsvg-convert -w 44 -h 44 "$svg" -o "$name@2x.png"
done
for size in 16 32 48 64 128 256 512; do
  rsvg-convert -w "$size" -h "$size" palisade.svg -o "app/${size}x${size}.png"
done
