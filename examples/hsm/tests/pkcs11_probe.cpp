// SPDX-License-Identifier: MIT
// Test helper: asks a PKCS#11 module directly (not through the signer, no jwtmint) whether a
// private key can leave its token: prints its CKA_SENSITIVE / CKA_EXTRACTABLE / CKA_ALWAYS_SENSITIVE /
// CKA_NEVER_EXTRACTABLE, then tries to read its private value and to wrap it out under a fresh AES
// key, printing the results.
//
//   JWTMINT_HSM_PIN=... pkcs11_probe MODULE TOKEN_LABEL KEY_LABEL
//   JWTMINT_HSM_PIN=... pkcs11_probe MODULE TOKEN_LABEL --exportable-control
// The second form first makes a session (never stored) P-256 key pair with CKA_SENSITIVE false and
// CKA_EXTRACTABLE true and probes that: its read and wrap must succeed, or the probe proves
// nothing. Output: one "name=value" line each; hsm_test.py judges them. Exit 0 when every call was
// made.
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string rv_name(CK_RV rv) {
    switch (rv) {
        case CKR_OK: return "CKR_OK";
        case CKR_ATTRIBUTE_SENSITIVE: return "CKR_ATTRIBUTE_SENSITIVE";
        case CKR_ATTRIBUTE_TYPE_INVALID: return "CKR_ATTRIBUTE_TYPE_INVALID";
        case CKR_KEY_UNEXTRACTABLE: return "CKR_KEY_UNEXTRACTABLE";
        case CKR_KEY_NOT_WRAPPABLE: return "CKR_KEY_NOT_WRAPPABLE";
        case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
        case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
        default: {
            char buf[32];
            // At most 6 + 16 characters: fits.
            static_cast<void>(std::snprintf(buf, sizeof buf, "CKR_0x%lx", static_cast<unsigned long>(rv)));
            return buf;
        }
    }
}

std::string trimmed(const unsigned char* label, std::size_t n) {
    std::string s(reinterpret_cast<const char*>(label), n);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

[[noreturn]] void die(const std::string& what, CK_RV rv) {
    std::fprintf(stderr, "pkcs11_probe: %s: %s\n", what.c_str(), rv_name(rv).c_str());
    std::exit(1);  // NOLINT(concurrency-mt-unsafe): the probe has one thread
}

}  // namespace

int main(int argc, char** argv) {
    const char* pin_env = std::getenv("JWTMINT_HSM_PIN");  // NOLINT(concurrency-mt-unsafe): one thread
    if (argc != 4 || pin_env == nullptr) {
        std::fprintf(stderr, "usage: JWTMINT_HSM_PIN=... pkcs11_probe MODULE TOKEN_LABEL KEY_LABEL\n");
        return 2;
    }
    const std::string token_label = argv[2];
    const std::string key_label = argv[3];
    std::string pin = pin_env;

    void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
        std::fprintf(stderr, "pkcs11_probe: %s\n", dlerror());  // NOLINT(concurrency-mt-unsafe): one thread
        return 1;
    }
    CK_C_GetFunctionList get_list = nullptr;
    void* sym = dlsym(lib, "C_GetFunctionList");
    static_assert(sizeof sym == sizeof get_list);
    std::memcpy(&get_list, &sym, sizeof get_list);  // object to function pointer, as POSIX allows
    CK_FUNCTION_LIST_PTR f = nullptr;
    if (get_list == nullptr || get_list(&f) != CKR_OK) die("C_GetFunctionList", CKR_GENERAL_ERROR);
    CK_C_INITIALIZE_ARGS init{};
    init.flags = CKF_OS_LOCKING_OK;
    if (CK_RV rv = f->C_Initialize(&init); rv != CKR_OK) die("C_Initialize", rv);

    CK_ULONG slot_count = 0;
    if (CK_RV rv = f->C_GetSlotList(CK_TRUE, nullptr, &slot_count); rv != CKR_OK) die("C_GetSlotList", rv);
    std::vector<CK_SLOT_ID> slots(slot_count);
    if (CK_RV rv = f->C_GetSlotList(CK_TRUE, slots.data(), &slot_count); rv != CKR_OK) die("C_GetSlotList", rv);
    CK_SLOT_ID slot = 0;
    bool found = false;
    for (CK_ULONG i = 0; i < slot_count && !found; ++i) {
        CK_TOKEN_INFO info{};
        if (f->C_GetTokenInfo(slots[i], &info) == CKR_OK && trimmed(info.label, sizeof info.label) == token_label) {
            slot = slots[i];
            found = true;
        }
    }
    if (!found) die("no token labelled " + token_label, CKR_TOKEN_NOT_PRESENT);

    CK_SESSION_HANDLE session = 0;
    if (CK_RV rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
        rv != CKR_OK) {
        die("C_OpenSession", rv);
    }
    if (CK_RV rv = f->C_Login(session, CKU_USER, reinterpret_cast<unsigned char*>(pin.data()), pin.size());
        rv != CKR_OK) {
        die("C_Login", rv);
    }

    CK_OBJECT_CLASS priv_class = CKO_PRIVATE_KEY;
    const bool control = key_label == "--exportable-control";
    if (control) {
        static const unsigned char p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
        CK_MECHANISM ec_gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
        CK_BBOOL yes = CK_TRUE;
        CK_BBOOL no = CK_FALSE;
        CK_ATTRIBUTE pub_template[] = {{CKA_EC_PARAMS, const_cast<unsigned char*>(p256_oid), sizeof p256_oid},
                                       {CKA_TOKEN, &no, sizeof no}};
        CK_ATTRIBUTE priv_template[] = {{CKA_TOKEN, &no, sizeof no},
                                        {CKA_SENSITIVE, &no, sizeof no},
                                        {CKA_EXTRACTABLE, &yes, sizeof yes},
                                        {CKA_SIGN, &yes, sizeof yes}};
        CK_OBJECT_HANDLE pub = 0;
        CK_OBJECT_HANDLE priv = 0;
        if (CK_RV rv = f->C_GenerateKeyPair(session, &ec_gen, pub_template, 2, priv_template, 4, &pub, &priv);
            rv != CKR_OK) {
            die("C_GenerateKeyPair", rv);
        }
    }
    CK_BBOOL session_only = CK_FALSE;
    CK_ATTRIBUTE query[] = {{CKA_CLASS, &priv_class, sizeof priv_class},
                            {control ? CKA_TOKEN : CKA_LABEL,
                             control ? static_cast<void*>(&session_only) : const_cast<char*>(key_label.data()),
                             control ? sizeof session_only : key_label.size()}};
    if (CK_RV rv = f->C_FindObjectsInit(session, query, 2); rv != CKR_OK) die("C_FindObjectsInit", rv);
    CK_OBJECT_HANDLE objects[4];
    CK_ULONG object_count = 0;
    if (CK_RV rv = f->C_FindObjects(session, objects, 4, &object_count); rv != CKR_OK) die("C_FindObjects", rv);
    f->C_FindObjectsFinal(session);
    std::printf("private_keys=%lu\n", static_cast<unsigned long>(object_count));
    if (object_count != 1) return 1;
    const CK_OBJECT_HANDLE key = objects[0];

    CK_KEY_TYPE key_type = 0;
    CK_BBOOL flags[4] = {};
    CK_ATTRIBUTE attrs[] = {{CKA_KEY_TYPE, &key_type, sizeof key_type},
                            {CKA_SENSITIVE, &flags[0], sizeof flags[0]},
                            {CKA_EXTRACTABLE, &flags[1], sizeof flags[1]},
                            {CKA_ALWAYS_SENSITIVE, &flags[2], sizeof flags[2]},
                            {CKA_NEVER_EXTRACTABLE, &flags[3], sizeof flags[3]}};
    if (CK_RV rv = f->C_GetAttributeValue(session, key, attrs, 5); rv != CKR_OK) die("C_GetAttributeValue", rv);
    const char* names[] = {"sensitive", "extractable", "always_sensitive", "never_extractable"};
    std::printf("key_type=%s\n", key_type == CKK_RSA ? "RSA" : key_type == CKK_EC ? "EC" : "other");
    for (int i = 0; i < 4; ++i) std::printf("%s=%s\n", names[i], flags[i] == CK_TRUE ? "true" : "false");

    // The private value itself: the RSA private exponent, or the EC private scalar.
    unsigned char value[1024];
    CK_ATTRIBUTE secret = {key_type == CKK_RSA ? CKA_PRIVATE_EXPONENT : CKA_VALUE, value, sizeof value};
    const CK_RV read_rv = f->C_GetAttributeValue(session, key, &secret, 1);
    std::printf("read_private_value=%s\n", rv_name(read_rv).c_str());
    if (read_rv == CKR_OK) std::printf("private_value_octets=%lu\n", static_cast<unsigned long>(secret.ulValueLen));

    // Wrapping it out under a session AES key the caller would know (the way keys are exported).
    CK_MECHANISM keygen{CKM_AES_KEY_GEN, nullptr, 0};
    CK_ULONG aes_len = 32;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE aes_template[] = {{CKA_VALUE_LEN, &aes_len, sizeof aes_len}, {CKA_WRAP, &yes, sizeof yes}};
    CK_OBJECT_HANDLE aes = 0;
    if (CK_RV rv = f->C_GenerateKey(session, &keygen, aes_template, 2, &aes); rv != CKR_OK) die("C_GenerateKey", rv);
    CK_MECHANISM wrap{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
    std::vector<unsigned char> wrapped(8192);
    CK_ULONG wrapped_len = wrapped.size();
    const CK_RV wrap_rv = f->C_WrapKey(session, &wrap, aes, key, wrapped.data(), &wrapped_len);
    std::printf("wrap_private_key=%s\n", rv_name(wrap_rv).c_str());

    f->C_DestroyObject(session, aes);
    f->C_Logout(session);
    f->C_CloseSession(session);
    f->C_Finalize(nullptr);
    return 0;
}
