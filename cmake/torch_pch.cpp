// Compiled only to produce the precompiled LibTorch header other targets reuse.
