// The fake Google token endpoints, compiled into unit_credentials directly so
// that this test program builds from the unit-test glob alone. Other test
// programs link the same code as the firewarden_fake_google library
// (tests/credentials.cmake).
#include "../../support/fake_google/fake_google.cpp"  // NOLINT(bugprone-suspicious-include)
