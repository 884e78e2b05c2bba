// Package pngplot owns latent's small raster plotting: line and scatter
// charts drawn straight into an image.RGBA and written as PNG, with axes,
// 1-2-5 tick values and their labels, an optional logarithmic y axis, a
// title, axis labels, grid lines, optional point markers, dashed lines and a
// legend, in a categorical palette of ten colours; a logarithmic axis says
// so in its label. Grid lays greyscale images out in labelled rows under a
// title (originals above their reconstructions).
//
// It uses only the standard library image packages and the fixed 7×13
// bitmap face of golang.org/x/image/font/basicfont, so a binary that draws
// plots carries no TrueType fonts or vector back ends. Lines are drawn with
// Bresenham's algorithm (no anti-aliasing), clipped to the plot area.
package pngplot
