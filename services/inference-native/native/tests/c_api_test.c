/* Compiled as strict C99 with -Wall -Wextra -pedantic -Werror: proves moco.h is a valid C header,
 * and exercises the API the way a C caller would (query count, allocate, fill; create/destroy). */
#include "moco.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                               \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, \
                    __LINE__, #cond, moco_last_error());                          \
            return 1;                                                             \
        }                                                                         \
    } while (0)

int main(void) {
    int count = 0;
    int i;
    moco_device_info* devices;
    moco_context_options opts;
    moco_context* ctx = NULL;
    double bandwidth = 0.0;

    printf("libmoco %s (%d)\n%s\n", moco_version(), moco_version_number(), moco_build_info());
    CHECK(strcmp(moco_status_name(MOCO_OK), "MOCO_OK") == 0);

    CHECK(moco_devices(NULL, 0, &count) == MOCO_OK);
    CHECK(count >= 1);
    devices = (moco_device_info*)calloc((size_t)count, sizeof(moco_device_info));
    CHECK(devices != NULL);
    CHECK(moco_devices(devices, count, &count) == MOCO_OK);
    CHECK(strcmp(devices[0].name, "cpu") == 0);
    for (i = 0; i < count; ++i) {
        printf("%-8s %s, %d threads, %llu MiB, features 0x%x\n", devices[i].name, devices[i].description,
               devices[i].threads, (unsigned long long)(devices[i].memory_bytes >> 20),
               (unsigned)devices[i].features);
    }
    free(devices);

    opts = moco_context_default_options();
    opts.device = "cpu";
    opts.threads = 2;
    CHECK(moco_context_create(&opts, &ctx) == MOCO_OK);
    CHECK(strcmp(moco_context_device(ctx), "cpu") == 0);
    CHECK(moco_context_threads(ctx) == 2);
    CHECK(moco_context_copy_bandwidth(ctx, (uint64_t)1 << 20, &bandwidth) == MOCO_OK);
    CHECK(bandwidth > 0.0);
    moco_context_destroy(ctx);
    moco_context_destroy(NULL);

    opts.threads = -3;
    CHECK(moco_context_create(&opts, &ctx) == MOCO_ERR_INVALID_ARGUMENT);
    CHECK(ctx == NULL);
    CHECK(strstr(moco_last_error(), "threads") != NULL);
    return 0;
}
