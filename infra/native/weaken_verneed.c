/* Marks one version requirement of an ELF64 shared object weak (VER_FLG_WEAK in .gnu.version_r).
 * The dynamic loader refuses to load a library whose non-weak version need (here GLIBCXX_3.4.32)
 * is missing from the providing library; a weak one is accepted. Used with patchelf's
 * --clear-symbol-version and --add-needed by infra/setup-torchsharp.sh.
 * Usage: weaken_verneed FILE VERSION   (exit 0 when marked or already weak, 3 when absent) */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: %s FILE VERSION\n", argv[0]); return 2; }
    FILE *f = fopen(argv[1], "r+b");
    if (!f) { perror(argv[1]); return 2; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *image = malloc((size_t)size);
    if (!image || fread(image, 1, (size_t)size, f) != (size_t)size) { fprintf(stderr, "read failed\n"); return 2; }

    Elf64_Ehdr *eh = (Elf64_Ehdr *)image;
    if (size < (long)sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64) {
        fprintf(stderr, "%s: not an ELF64 file\n", argv[1]);
        return 2;
    }
    Elf64_Shdr *sections = (Elf64_Shdr *)(image + eh->e_shoff);
    int found = 0;
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sections[i].sh_type != SHT_GNU_verneed) continue;
        const char *strtab = (const char *)(image + sections[sections[i].sh_link].sh_offset);
        unsigned char *need = image + sections[i].sh_offset;
        for (;;) {
            Elf64_Verneed *vn = (Elf64_Verneed *)need;
            unsigned char *aux = need + vn->vn_aux;
            for (int a = 0; a < vn->vn_cnt; a++) {
                Elf64_Vernaux *va = (Elf64_Vernaux *)aux;
                if (strcmp(strtab + va->vna_name, argv[2]) == 0) {
                    va->vna_flags |= VER_FLG_WEAK;
                    found = 1;
                }
                if (va->vna_next == 0) break;
                aux += va->vna_next;
            }
            if (vn->vn_next == 0) break;
            need += vn->vn_next;
        }
    }
    if (!found) { fprintf(stderr, "%s: no version need %s\n", argv[1], argv[2]); return 3; }
    fseek(f, 0, SEEK_SET);
    if (fwrite(image, 1, (size_t)size, f) != (size_t)size || fclose(f) != 0) { fprintf(stderr, "write failed\n"); return 2; }
    return 0;
}
