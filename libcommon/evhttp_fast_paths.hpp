#pragma once

namespace usersuite {

// Does nothing; a call keeps evhttp_fast_paths.o, and with it the faster
// evbuffer_add_printf and evutil_ascii_strcasecmp, in a program linked
// from libcommon.a (nothing else names that object's symbols).
void evhttp_fast_paths_linked();

}  // namespace usersuite
