# bpf_object(<name>): compile bpf/<name>.bpf.c with clang -target bpf, generate <name>.skel.h
# with `bpftool gen skeleton`, and expose it as the INTERFACE target <name>_skel.
find_program(BPF_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
set(BPF_ARCH_DIR ${CMAKE_SOURCE_DIR}/bpf/x86_64)

function(bpf_object name)
  set(src ${CMAKE_SOURCE_DIR}/bpf/${name}.bpf.c)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_x86
            -I${BPF_ARCH_DIR} -I${CMAKE_SOURCE_DIR}/bpf -c ${src} -o ${obj}
    DEPENDS ${src} ${CMAKE_SOURCE_DIR}/bpf/${name}.h ${CMAKE_SOURCE_DIR}/bpf/rs_record.h ${CMAKE_SOURCE_DIR}/bpf/syscall_tap.h
            ${CMAKE_SOURCE_DIR}/bpf/rs_common.bpf.h ${CMAKE_SOURCE_DIR}/bpf/rs_syscall.bpf.h
    COMMENT "BPF ${name}.bpf.c")
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h")
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR} ${CMAKE_SOURCE_DIR}/bpf)
endfunction()

# bpf_plain_object(<target> <dir> <stem>...): compile <dir>/<stem>.bpf.c into
# ${CMAKE_CURRENT_BINARY_DIR}/<stem>.bpf.o, no skeleton (objects loaded by path: --bpf-object).
function(bpf_plain_object target dir)
  set(objs)
  foreach(stem ${ARGN})
    set(obj ${CMAKE_CURRENT_BINARY_DIR}/${stem}.bpf.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${BPF_CLANG} -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_x86 -I${BPF_ARCH_DIR}
              -c ${dir}/${stem}.bpf.c -o ${obj}
      DEPENDS ${dir}/${stem}.bpf.c
      COMMENT "BPF ${stem}.bpf.c (test object)")
    list(APPEND objs ${obj})
  endforeach()
  add_custom_target(${target} ALL DEPENDS ${objs})
endfunction()
