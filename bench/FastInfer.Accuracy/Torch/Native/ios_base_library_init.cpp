// GCC 13's libstdc++ added std::ios_base_library_init() (version GLIBCXX_3.4.32), an empty function that
// objects built with GCC 13 reference so they load only next to a libstdc++ that initialises iostreams
// itself. Debian 12's libstdc++ (GCC 12) lacks it; this library supplies the empty function instead.
namespace std
{
    void ios_base_library_init() {}
}
