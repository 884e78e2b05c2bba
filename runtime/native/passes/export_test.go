package passes

// FoldConstants lets the external tests (package passes_test) call the
// constant-folding pass directly.
var FoldConstants = foldConstants
