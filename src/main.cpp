#include "firewarden/app/cli.hpp"

int main(int argc, char** argv) { return firewarden::app::run_cli(argc, argv); }
