# Install rules and the Debian package (included from the top-level CMakeLists.txt).
#
#   cmake --install build --prefix P     P/bin/ringside, P/bin/ringside-workload,
#                                        P/share/ringside/{reports,configs}, man page, completion
#   (cd build && cpack -G DEB)           build/ringside_<version>_<arch>.deb (prefix /usr)
#
# The layout is what the binaries look for: ringside finds ringside-workload in its own
# directory and the report generator in <exe>/../share/ringside/reports (report_runner.cpp).
include(GNUInstallDirs)

install(TARGETS ringside ringside-workload RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# the report generator: the entry points executable, the modules they import beside them
set(_reports ${CMAKE_SOURCE_DIR}/reports)
set(_report_entry_points ${_reports}/ringside_report.py ${_reports}/index.py ${_reports}/history_plot.py)
file(GLOB _report_modules CONFIGURE_DEPENDS ${_reports}/*.py)
list(REMOVE_ITEM _report_modules ${_report_entry_points})
install(PROGRAMS ${_report_entry_points} DESTINATION ${CMAKE_INSTALL_DATADIR}/ringside/reports)
install(FILES ${_report_modules} ${_reports}/README.md DESTINATION ${CMAKE_INSTALL_DATADIR}/ringside/reports)

file(GLOB _configs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/ci/configs/*.yaml)
install(FILES ${_configs} DESTINATION ${CMAKE_INSTALL_DATADIR}/ringside/configs)

# Debian ships man pages gzipped (-n: no name or timestamp, so the .deb is reproducible)
set(_man_src ${CMAKE_SOURCE_DIR}/docs/ringside.1)
set(_man_gz ${CMAKE_BINARY_DIR}/man/ringside.1.gz)
add_custom_command(OUTPUT ${_man_gz}
                   COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
                   COMMAND ${CMAKE_COMMAND} -E copy ${_man_src} ${CMAKE_BINARY_DIR}/man/ringside.1
                   COMMAND gzip -9nf ${CMAKE_BINARY_DIR}/man/ringside.1
                   DEPENDS ${_man_src} VERBATIM)
add_custom_target(ringside-man ALL DEPENDS ${_man_gz})
install(FILES ${_man_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# bash-completion loads completions/<command> on first use, so each command needs its own name
set(_completion ${CMAKE_SOURCE_DIR}/packaging/ringside.bash-completion)
install(FILES ${_completion} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ringside)
install(FILES ${_completion} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME ringside-workload)

install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# ---- cpack -G DEB -----------------------------------------------------------------------
set(RINGSIDE_DEB_MAINTAINER "ringside maintainers <maintainers@users.noreply.b-seed-b0d4e1ae.example>"
    CACHE STRING "Maintainer field of the .deb")
set(CPACK_PACKAGE_NAME ringside)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${RINGSIDE_DEB_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "eBPF event pipeline benchmark: cost, latency, drops and CPU budget")
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "ringside measures what an eBPF event pipeline costs before it reaches production: CO-RE\n"
    "programs on syscall tracepoints feeding a BPF ring buffer or perf buffer, drained by a\n"
    "lock-free userspace core, driven by synthetic workloads with known ground truth. It reports\n"
    "per-stage latency, drops by cause, event conservation, CPU against a budget and workload\n"
    "slowdown, plans capacity, measures any agent's overhead and gates regressions in CI.")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${RINGSIDE_DEB_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # ringside_<version>_<arch>.deb
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the build is RelWithDebInfo; the package ships no debug info
# Debian 12 packages of the libraries the binaries link (ci/check-deb compares this with their
# NEEDED entries, so a new library is caught)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libbpf1 (>= 1:1.1), libelf1, zlib1g, libyaml-cpp0.7, libfmt9, libsqlite3-0, libstdc++6 (>= 12), libgcc-s1, libc6 (>= 2.34)")
# the HTML/PNG report: without them ringside keeps results.json and says what to install
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3, python3-matplotlib, python3-numpy")
set(CPACK_GENERATOR DEB)
include(CPack)
