/* Every input `make fuzz` found crashing or leaking in the config parser,
 * replayed so that the bug stays fixed; and the frees that walk the parser's
 * tables, held to free everything the parse allocated. Built with
 * AddressSanitizer (see the Makefile), whose leak check runs at exit; each
 * input also ends right before an unmapped page, so that reading past it
 * faults even without ASan. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <json-c/json.h>

#include "linux/seccomp.h"
#include "spec/spec.h"

/* Parses (and compiles the seccomp profile of) len bytes that end at a guard page. */
static void parse_guarded(const char *bytes, size_t len)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t span = (len + page - 1) / page * page + page;
        char *base = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(base != MAP_FAILED);
        assert_int_equal(mprotect(base + span - page, page, PROT_NONE), 0);
        char *text = base + span - page - len;
        memcpy(text, bytes, len);
        struct spec *spec = NULL;
        nook_err err = NULL;
        if (spec_parse(text, len, &spec, &err) == 0) {
                if (spec->linux != NULL && spec->linux->seccomp != NULL) {
                        struct seccomp_program p;
                        if (seccomp_compile(spec->linux->seccomp, &p, &err) == 0)
                                seccomp_program_free(&p);
                }
                spec_free(spec);
        }
        nook_error_free(&err);
        munmap(base, span);
}

/* libseccomp 2.5.4 leaks on its own (see tests/fuzz/lsan.supp). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
        return "leak:libseccomp.so\n";
}

#define GUARDED(literal) parse_guarded(literal, sizeof(literal) - 1)

/* A complete document that is not NUL-terminated: the check for trailing
 * garbage ran strspn past the end of the buffer. */
static void document_without_a_terminating_nul(void **state)
{
        (void)state;
        GUARDED("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"x\"]}}");
        GUARDED("{}");
        GUARDED("{} \n");
}

/* A capability set whose second item is not a string: the names read so far leaked. */
static void capability_set_with_a_bad_item(void **state)
{
        (void)state;
        GUARDED("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"x\"],"
                "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",5]}}}");
}

/* JSON written with ' for ", to be read. */
static char *json_text(const char *single_quoted)
{
        char *text = strdup(single_quoted);
        assert_non_null(text);
        for (char *c = text; *c != '\0'; c++)
                if (*c == '\'')
                        *c = '"';
        return text;
}

/* Every field that allocates (arrays, maps, id sets, objects behind pointers,
 * the parsed mount options), once: spec_free walks the tables, and must find
 * them all. */
static void every_allocating_field_is_freed(void **state)
{
        (void)state;
        char *config = json_text(
                "{'ociVersion':'1.2.0','root':{'path':'rootfs','readonly':true},"
                "'process':{'terminal':true,'consoleSize':{'height':24,'width':80},'user':{'uid':1,'gid':1,"
                "'umask':18,'additionalGids':[5,6]},'args':['sh','-c','true'],'env':['PATH=/bin','A=1'],'cwd':'/',"
                "'capabilities':{'bounding':['CAP_CHOWN'],'effective':['CAP_CHOWN'],'permitted':['CAP_CHOWN']},"
                "'rlimits':[{'type':'RLIMIT_NOFILE','soft':10,'hard':10}],'noNewPrivileges':true,'oomScoreAdj':1,"
                "'scheduler':{'policy':'SCHED_OTHER','nice':1},'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':1},"
                "'execCPUAffinity':{'initial':'0','final':'0-1'}},"
                "'hostname':'h','annotations':{'a':'b','c':'d'},"
                "'mounts':[{'destination':'/t','type':'tmpfs','source':'tmpfs','options':['nosuid','size=1m',"
                "'mode=755']},{'destination':'/b','type':'bind','source':'/tmp','options':['rbind','idmap'],"
                "'uidMappings':[{'containerID':0,'hostID':1000,'size':10}],'gidMappings':[{'containerID':0,"
                "'hostID':1000,'size':10}]}],"
                "'hooks':{'prestart':[{'path':'/bin/true','args':['true','x'],'env':['A=1'],'timeout':1}],"
                "'createRuntime':[{'path':'/bin/true','args':['true','x'],'env':['A=1'],'timeout':1}],"
                "'createContainer':[{'path':'/bin/true','args':['true','x'],'env':['A=1'],'timeout':1}],"
                "'startContainer':[{'path':'/bin/true','args':['true','x'],'env':['A=1'],'timeout':1}],"
                "'poststart':[{'path':'/bin/true','args':['true','x'],'env':['A=1'],'timeout':1}],"
                "'poststop':[{'path':'/bin/true','args':['true','x'],'env':['A=1'],'timeout':1}]},"
                "'linux':{'namespaces':[{'type':'mount'},{'type':'pid'},{'type':'network'},{'type':'ipc'},"
                "{'type':'uts'},{'type':'user'},{'type':'cgroup'}],"
                "'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
                "'gidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
                "'devices':[{'type':'c','path':'/dev/fuse','major':10,'minor':229,'fileMode':438}],"
                "'cgroupsPath':'/x',"
                "'resources':{'devices':[{'allow':false,'access':'rwm'},{'allow':true,'type':'c','major':1,"
                "'minor':3}],'memory':{'limit':1048576},'cpu':{'shares':2,'cpus':'0'},'pids':{'limit':5},"
                "'blockIO':{'weight':10,'weightDevice':[{'major':8,'minor':0,'weight':10}],"
                "'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':1}],'throttleWriteBpsDevice':[{'major':8,"
                "'minor':0,'rate':1}],'throttleReadIOPSDevice':[{'major':8,'minor':0,'rate':1}],"
                "'throttleWriteIOPSDevice':[{'major':8,'minor':0,'rate':1}]},'hugepageLimits':[{'pageSize':'2MB',"
                "'limit':0}],'network':{'classID':1,'priorities':[{'name':'eth0','priority':1}]},"
                "'unified':{'memory.high':'max'}},"
                "'maskedPaths':['/proc/kcore'],"
                "'readonlyPaths':['/proc/sys'],"
                "'sysctl':{'net.ipv4.ip_forward':'1'},"
                "'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_X86_64'],"
                "'flags':['SECCOMP_FILTER_FLAG_LOG'],'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW',"
                "'args':[{'index':0,'value':1,'op':'SCMP_CMP_EQ'}]}]},"
                "'personality':{'domain':'LINUX'},"
                "'memoryPolicy':{'mode':'MPOL_BIND','nodes':'0'},"
                "'netDevices':{'eth1':{'name':'e1'}},"
                "'intelRdt':{'closID':'g','schemata':['L3:0=f']}}}");
        struct spec *spec = NULL;
        nook_err err = NULL;
        if (spec_parse(config, strlen(config), &spec, &err) < 0)
                fail_msg("%s", err->msg);
        assert_non_null(spec->linux->memory_policy);
        assert_non_null(spec->linux->intel_rdt);
        assert_int_equal(spec->hooks[HOOK_POSTSTOP].len, 1);
        spec_free(spec);
        free(config);
}

/* A fragment that fails after its arrays were allocated: the free of a failed
 * fragment let go of the struct alone. */
static void a_failed_fragment_leaves_nothing(void **state)
{
        (void)state;
        char *process = json_text("{'args':['a'],'env':['A=1'],'user':{'additionalGids':[1]},"
                                  "'execCPUAffinity':{'initial':'0'},'cwd':'relative'}");
        struct spec_process *p = NULL;
        json_object *json = NULL;
        nook_err err = NULL;
        assert_true(spec_parse_process(process, strlen(process), &p, &json, &err) < 0);
        assert_non_null(strstr(err->msg, "cwd: must be an absolute path"));
        assert_null(p);
        nook_error_free(&err);
        free(process);
        char *resources = json_text("{'devices':[{'allow':true}],'unified':{'a':'b'},'hugepageLimits':[{'limit':1}]}");
        struct spec_resources *r = NULL;
        assert_true(spec_parse_resources(resources, strlen(resources), &r, &json, &err) < 0);
        assert_non_null(strstr(err->msg, "hugepageLimits[0].pageSize: required"));
        assert_null(r);
        nook_error_free(&err);
        free(resources);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(document_without_a_terminating_nul),
                cmocka_unit_test(capability_set_with_a_bad_item),
                cmocka_unit_test(every_allocating_field_is_freed),
                cmocka_unit_test(a_failed_fragment_leaves_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
