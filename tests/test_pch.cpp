// The one source of cortexloop_test_pch (tests/CMakeLists.txt): that target exists to build the precompiled
// catch.hpp that every test program reuses; this file only gives it something to compile.
