// SPDX-License-Identifier: MIT
// Each case writes its name to state.txt in its working directory, waits a little, and expects
// to read its own name back: cases that share a directory and run at once overwrite each other.
#include <gtest/gtest.h>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

static void own_state(const std::string &me)
{
	std::ofstream("state.txt") << me;
	std::this_thread::sleep_for(std::chrono::milliseconds(100));
	std::string got;
	std::ifstream("state.txt") >> got;
	EXPECT_EQ(got, me);
}

TEST(Race, A) { own_state("A"); }
TEST(Race, B) { own_state("B"); }
TEST(Race, C) { own_state("C"); }
TEST(Race, D) { own_state("D"); }
TEST(Race, E) { own_state("E"); }
TEST(Race, F) { own_state("F"); }
TEST(Race, G) { own_state("G"); }
TEST(Race, H) { own_state("H"); }
