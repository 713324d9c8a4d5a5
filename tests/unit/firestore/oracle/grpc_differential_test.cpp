// About 580 lines: the oracle's reading of every RPC (from libprotobuf's
// parse) stays next to the generators it is checked against.
//
// Differential test of the gRPC reader, with libprotobuf as the oracle
// (tests only: the daemon never links it). Messages are built and encoded by
// libprotobuf from the .proto files the @google-cloud/firestore npm package
// ships; the oracle reads each RPC's requirements from libprotobuf's parse,
// field by field through the generated classes, and classify_grpc must
// decide the same:
// - random messages (every field of every request message, reached through
//   reflection) are accepted with the same requirements, or refused by both;
// - every truncation and many one-byte changes of a set of messages are
//   refused by classify_grpc, or decided as libprotobuf's parse says.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/stubs/logging.h>

#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "firewarden/firestore/grpc_classify.hpp"
#include "firewarden/firestore/method_requirements.hpp"
#include "firewarden/firestore/path.hpp"
#include "google/firestore/v1/firestore.pb.h"

namespace firewarden::firestore {
namespace {

namespace v1 = google::firestore::v1;
namespace gp = google::protobuf;

const Scope kScope{"p", {"(default)", "other-db"}};
const std::string kDb = "projects/p/databases/(default)";

// ---------------------------------------------------------------------------
// The oracle: requirements read from libprotobuf's parse.
// ---------------------------------------------------------------------------

struct Decision {
  bool accepted = false;
  std::vector<std::string> requirements;  // "action collection"
  std::vector<std::string> documents;
  friend bool operator==(const Decision&, const Decision&) = default;
};

std::string show(const Decision& decision) {
  if (!decision.accepted) return "refused";
  std::string out = "accepted:";
  for (const auto& r : decision.requirements) out += " [" + r + "]";
  for (const auto& d : decision.documents) out += " <" + d + ">";
  return out;
}

Decision decided(const ClassifyResult& result) {
  Decision decision;
  const auto* model = std::get_if<RequestModel>(&result);
  if (model == nullptr) return decision;
  decision.accepted = true;
  for (const Requirement& r : model->requirements) {
    decision.requirements.push_back(std::string(to_string(r.action)) + " " +
                                    r.collection.to_string());
  }
  decision.documents = model->documents;
  return decision;
}

// Refused by the oracle: an exception leaves the reading.
struct Refused {};

class Oracle {
 public:
  // The database named by the request's primary field; kind as in SPEC §12.
  ResourceName primary(const std::string& text, bool database, bool document) {
    Checked<ResourceName> name = parse_resource_name(text);
    if (!name.ok()) throw Refused{};
    const ResourceName& read = name.value();
    if (database ? read.below_database
                 : (!read.below_database || read.ids.size() % 2 != 0 ||
                    (document && read.ids.empty()))) {
      throw Refused{};
    }
    if (check_scope(read.database, kScope)) throw Refused{};
    database_ = read.database;
    return name.value();
  }

  void read(const std::string& name) {
    Checked<DocumentNameIds> ids = document_name_ids(name, database_);
    if (!ids.ok()) throw Refused{};
    require_document_read(span(ids.value()), requirements_, documents_);
  }

  void read_ids(const ResourceName& name) {
    require_document_read(span(name.ids), requirements_, documents_);
  }
  void write_ids(const ResourceName& name, bool is_delete, WritePrecondition precondition) {
    require_document_write(span(name.ids), is_delete, precondition, requirements_, documents_);
  }

  WritePrecondition precondition(bool has, const v1::Precondition& p) {
    if (!has) return WritePrecondition::none;
    switch (p.condition_type_case()) {
      case v1::Precondition::kExists:
        return p.exists() ? WritePrecondition::must_exist : WritePrecondition::must_not_exist;
      case v1::Precondition::kUpdateTime: {
        const auto& t = p.update_time();
        if (t.seconds() < -62135596800 || t.seconds() > 253402300799 || t.nanos() < 0 ||
            t.nanos() > 999999999 || t.seconds() < 0 || (t.seconds() == 0 && t.nanos() == 0)) {
          throw Refused{};
        }
        return WritePrecondition::must_exist;
      }
      default:
        return WritePrecondition::none;
    }
  }

  void write(const v1::Write& w) {
    std::string target;
    switch (w.operation_case()) {
      case v1::Write::kUpdate:
        target = w.update().name();
        break;
      case v1::Write::kDelete:
        target = w.delete_();
        break;
      case v1::Write::kTransform:
        target = w.transform().document();
        break;
      default:
        throw Refused{};
    }
    if (target.empty()) throw Refused{};
    if (w.operation_case() != v1::Write::kUpdate &&
        (w.has_update_mask() || w.update_transforms_size() > 0)) {
      throw Refused{};
    }
    Checked<DocumentNameIds> ids = document_name_ids(target, database_);
    if (!ids.ok()) throw Refused{};
    const WritePrecondition pre = precondition(w.has_current_document(), w.current_document());
    require_document_write(span(ids.value()), w.operation_case() == v1::Write::kDelete, pre,
                           requirements_, documents_);
  }

  void query(bool has, const v1::StructuredQuery& q, const ResourceName& parent) {
    if (!has || q.from_size() == 0) throw Refused{};
    for (const auto& from : q.from()) {
      if (require_query_selector(literal_collection(span(parent.ids)), from.all_descendants(),
                                 from.collection_id(), requirements_)) {
        throw Refused{};
      }
    }
  }

  void collection(Action action, const ResourceName& parent, const std::string& id, bool all) {
    CollectionPattern pattern = literal_collection(span(parent.ids));
    if (id.empty()) {
      if (!all) throw Refused{};
      pattern.segments.push_back(Segment::any_one());
    } else {
      if (check_id(id)) throw Refused{};
      pattern.segments.push_back(Segment::literal(id));
    }
    requirements_.add(action, pattern);
  }

  Decision decision() && {
    Decision d;
    d.accepted = true;
    for (const Requirement& r : std::move(requirements_).take()) {
      d.requirements.push_back(std::string(to_string(r.action)) + " " + r.collection.to_string());
    }
    d.documents = std::move(documents_);
    return d;
  }

  RequirementSet& requirements() { return requirements_; }
  const DatabaseRef& database() const { return database_; }

 private:
  static std::span<const std::string_view> span(const DocumentNameIds& ids) {
    return {ids.data(), ids.size()};
  }
  DatabaseRef database_;
  RequirementSet requirements_;
  std::vector<std::string> documents_;
};

template <typename Request>
bool parse(const std::string& bytes, Request& request) {
  return request.ParseFromString(bytes);
}

Decision oracle_decide(const std::string& rpc, const std::string& bytes, bool& parsed) {
  Oracle o;
  parsed = true;
  try {
    if (rpc == "GetDocument") {
      v1::GetDocumentRequest r;
      if (!(parsed = parse(bytes, r))) return {};
      const ResourceName n = o.primary(r.name(), false, true);
      o.read_ids(n);
    } else if (rpc == "ListDocuments") {
      v1::ListDocumentsRequest r;
      if (!(parsed = parse(bytes, r))) return {};
      o.collection(Action::list, o.primary(r.parent(), false, false), r.collection_id(), true);
    } else if (rpc == "CreateDocument") {
      v1::CreateDocumentRequest r;
      if (!(parsed = parse(bytes, r))) return {};
      const ResourceName n = o.primary(r.parent(), false, false);
      if (r.collection_id().empty()) throw Refused{};
      if (!r.has_document() || !r.document().name().empty()) throw Refused{};
      if (!r.document_id().empty() && check_id(r.document_id())) throw Refused{};
      o.collection(Action::create, n, r.collection_id(), false);
    } else if (rpc == "UpdateDocument" || rpc == "DeleteDocument") {
      const bool update = rpc == "UpdateDocument";
      v1::UpdateDocumentRequest u;
      v1::DeleteDocumentRequest d;
      if (!(parsed = update ? parse(bytes, u) : parse(bytes, d))) return {};
      const ResourceName n = o.primary(update ? u.document().name() : d.name(), false, true);
      const WritePrecondition pre =
          update ? o.precondition(u.has_current_document(), u.current_document())
                 : o.precondition(d.has_current_document(), d.current_document());
      o.write_ids(n, !update, pre);
    } else if (rpc == "BatchGetDocuments") {
      v1::BatchGetDocumentsRequest r;
      if (!(parsed = parse(bytes, r))) return {};
      o.primary(r.database(), true, false);
      for (const auto& name : r.documents()) o.read(name);
    } else if (rpc == "Commit" || rpc == "BatchWrite" || rpc == "Write") {
      v1::CommitRequest c;
      v1::BatchWriteRequest b;
      v1::WriteRequest w;
      const gp::RepeatedPtrField<v1::Write>* writes = nullptr;
      std::string database;
      if (rpc == "Commit") {
        if (!(parsed = parse(bytes, c))) return {};
        writes = &c.writes();
        database = c.database();
      } else if (rpc == "BatchWrite") {
        if (!(parsed = parse(bytes, b))) return {};
        writes = &b.writes();
        database = b.database();
      } else {
        if (!(parsed = parse(bytes, w))) return {};
        writes = &w.writes();
        database = w.database();
      }
      o.primary(database, true, false);
      for (const auto& write : *writes) o.write(write);
    } else if (rpc == "RunQuery" || rpc == "PartitionQuery") {
      v1::RunQueryRequest q;
      v1::PartitionQueryRequest p;
      if (!(parsed = rpc == "RunQuery" ? parse(bytes, q) : parse(bytes, p))) return {};
      const bool run = rpc == "RunQuery";
      const ResourceName n = o.primary(run ? q.parent() : p.parent(), false, false);
      o.query(run ? q.has_structured_query() : p.has_structured_query(),
              run ? q.structured_query() : p.structured_query(), n);
    } else if (rpc == "RunAggregationQuery") {
      v1::RunAggregationQueryRequest r;
      if (!(parsed = parse(bytes, r))) return {};
      const ResourceName n = o.primary(r.parent(), false, false);
      const bool has = r.has_structured_aggregation_query() &&
                       r.structured_aggregation_query().has_structured_query();
      o.query(has, r.structured_aggregation_query().structured_query(), n);
    } else if (rpc == "ListCollectionIds") {
      v1::ListCollectionIdsRequest r;
      if (!(parsed = parse(bytes, r))) return {};
      const ResourceName n = o.primary(r.parent(), false, false);
      CollectionPattern pattern =
          literal_collection(std::span<const std::string_view>(n.ids.data(), n.ids.size()));
      pattern.segments.push_back(Segment::any_one());
      o.requirements().add(Action::list_collections, pattern);
    } else if (rpc == "BeginTransaction" || rpc == "Rollback") {
      v1::BeginTransactionRequest b;
      v1::RollbackRequest r;
      if (!(parsed = rpc == "Rollback" ? parse(bytes, r) : parse(bytes, b))) return {};
      o.primary(rpc == "Rollback" ? r.database() : b.database(), true, false);
    } else if (rpc == "Listen") {
      v1::ListenRequest r;
      if (!(parsed = parse(bytes, r))) return {};
      o.primary(r.database(), true, false);
      if (r.has_add_target()) {
        const v1::Target& t = r.add_target();
        if (t.has_query()) {
          Checked<ResourceName> parent = parse_resource_name(t.query().parent());
          if (!parent.ok() || !parent.value().below_database ||
              parent.value().ids.size() % 2 != 0 || parent.value().database != o.database()) {
            throw Refused{};
          }
          o.query(t.query().has_structured_query(), t.query().structured_query(), parent.value());
        } else if (t.has_documents()) {
          for (const auto& name : t.documents().documents()) o.read(name);
        } else {
          throw Refused{};
        }
      }
    }
  } catch (const Refused&) {
    return {};
  }
  return std::move(o).decision();
}

// ---------------------------------------------------------------------------
// Random messages, through libprotobuf's reflection: every field of every
// message can be set; names come from pools that are mostly valid.
// ---------------------------------------------------------------------------

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  void fill(gp::Message& message, int depth) {
    const gp::Descriptor* descriptor = message.GetDescriptor();
    for (int i = 0; i < descriptor->oneof_decl_count(); ++i) {
      const gp::OneofDescriptor* oneof = descriptor->oneof_decl(i);
      if (chance(70)) set_field(message, oneof->field(pick(oneof->field_count())), depth);
    }
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const gp::FieldDescriptor* field = descriptor->field(i);
      if (field->containing_oneof() != nullptr) continue;
      if (!chance(is_name(field) ? 90 : 40)) continue;
      const int count = field->is_repeated() ? 1 + pick(3) : 1;
      for (int n = 0; n < count; ++n) set_field(message, field, depth);
    }
  }

 private:
  bool chance(int percent) { return pick(100) < percent; }
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  template <typename T>
  const T& one_of(const std::vector<T>& pool) {
    return pool[static_cast<std::size_t>(pick(static_cast<int>(pool.size())))];
  }

  static bool is_name(const gp::FieldDescriptor* field) {
    const std::string& n = field->name();
    return n == "name" || n == "parent" || n == "database" || n == "documents" || n == "delete" ||
           n == "document" || n == "collection_id" || n == "writes" || n == "from" ||
           n == "structured_query" || n == "update" || n == "add_target";
  }

  std::string text_for(const gp::FieldDescriptor* field) {
    const std::string& n = field->name();
    static const std::vector<std::string> documents = {
        kDb + "/documents/orders/o1",
        kDb + "/documents/orders/o2",
        kDb + "/documents/a/1/b/2",
        kDb + "/documents/users/u1",
        "projects/p/databases/other-db/documents/orders/o1",
        "projects/x/databases/(default)/documents/orders/o1",
        kDb + "/documents/orders",
        kDb + "/documents/__x__/1",
        kDb + "/documents",
        ""};
    static const std::vector<std::string> parents = {kDb + "/documents",
                                                     kDb + "/documents",
                                                     kDb + "/documents/users/u1",
                                                     kDb + "/documents/users",
                                                     "projects/p/databases/other-db/documents",
                                                     "projects/x/databases/(default)/documents",
                                                     kDb,
                                                     ""};
    static const std::vector<std::string> databases = {kDb,
                                                       kDb,
                                                       kDb,
                                                       "projects/p/databases/other-db",
                                                       "projects/x/databases/(default)",
                                                       kDb + "/documents",
                                                       "projects/p/databases/%28default%29",
                                                       ""};
    static const std::vector<std::string> ids = {"orders", "items", "", "__x__", "a/b", ".."};
    static const std::vector<std::string> other = {"x", "", "f.g", "\xc3\xbc", "a b"};
    if (n == "name" || n == "documents" || n == "delete" || n == "document") {
      return one_of(documents);
    }
    if (n == "parent") return one_of(parents);
    if (n == "database") return one_of(databases);
    if (n == "collection_id" || n == "document_id") return one_of(ids);
    return one_of(other);
  }

  void set_field(gp::Message& message, const gp::FieldDescriptor* field, int depth) {
    const gp::Reflection* r = message.GetReflection();
    const bool rep = field->is_repeated();
    using T = gp::FieldDescriptor;
    switch (field->cpp_type()) {
      case T::CPPTYPE_MESSAGE: {
        if (depth > 5) return;
        gp::Message* child =
            rep ? r->AddMessage(&message, field) : r->MutableMessage(&message, field);
        fill(*child, depth + 1);
        return;
      }
      case T::CPPTYPE_STRING: {
        const std::string text = field->type() == T::TYPE_BYTES ? "tx" : text_for(field);
        rep ? r->AddString(&message, field, text) : r->SetString(&message, field, text);
        return;
      }
      case T::CPPTYPE_BOOL: {
        const bool value = chance(50);
        rep ? r->AddBool(&message, field, value) : r->SetBool(&message, field, value);
        return;
      }
      case T::CPPTYPE_INT32: {
        static const std::vector<std::int32_t> values = {0, 1, -1, 7, INT32_MAX, INT32_MIN};
        const std::int32_t value = one_of(values);
        rep ? r->AddInt32(&message, field, value) : r->SetInt32(&message, field, value);
        return;
      }
      case T::CPPTYPE_INT64: {
        static const std::vector<std::int64_t> values = {0,          1,         -1,
                                                         1700000000, INT64_MAX, 253402300800};
        const std::int64_t value = one_of(values);
        rep ? r->AddInt64(&message, field, value) : r->SetInt64(&message, field, value);
        return;
      }
      case T::CPPTYPE_UINT32:
        rep ? r->AddUInt32(&message, field, 5) : r->SetUInt32(&message, field, 5);
        return;
      case T::CPPTYPE_UINT64:
        rep ? r->AddUInt64(&message, field, 5) : r->SetUInt64(&message, field, 5);
        return;
      case T::CPPTYPE_DOUBLE:
        rep ? r->AddDouble(&message, field, 1.5) : r->SetDouble(&message, field, 1.5);
        return;
      case T::CPPTYPE_FLOAT:
        rep ? r->AddFloat(&message, field, 1.5F) : r->SetFloat(&message, field, 1.5F);
        return;
      case T::CPPTYPE_ENUM: {
        const int value =
            chance(80)
                ? field->enum_type()->value(pick(field->enum_type()->value_count()))->number()
                : 99;
        rep ? r->AddEnumValue(&message, field, value) : r->SetEnumValue(&message, field, value);
        return;
      }
    }
  }

  std::mt19937 rng_;
};

struct RpcCase {
  std::string rpc;
  const gp::Message* prototype;
};

const std::vector<RpcCase>& rpc_cases() {
  static const std::vector<RpcCase> cases = {
      {"GetDocument", &v1::GetDocumentRequest::default_instance()},
      {"ListDocuments", &v1::ListDocumentsRequest::default_instance()},
      {"CreateDocument", &v1::CreateDocumentRequest::default_instance()},
      {"UpdateDocument", &v1::UpdateDocumentRequest::default_instance()},
      {"DeleteDocument", &v1::DeleteDocumentRequest::default_instance()},
      {"BatchGetDocuments", &v1::BatchGetDocumentsRequest::default_instance()},
      {"BeginTransaction", &v1::BeginTransactionRequest::default_instance()},
      {"Commit", &v1::CommitRequest::default_instance()},
      {"Rollback", &v1::RollbackRequest::default_instance()},
      {"RunQuery", &v1::RunQueryRequest::default_instance()},
      {"RunAggregationQuery", &v1::RunAggregationQueryRequest::default_instance()},
      {"PartitionQuery", &v1::PartitionQueryRequest::default_instance()},
      {"Listen", &v1::ListenRequest::default_instance()},
      {"Write", &v1::WriteRequest::default_instance()},
      {"ListCollectionIds", &v1::ListCollectionIdsRequest::default_instance()},
      {"BatchWrite", &v1::BatchWriteRequest::default_instance()},
  };
  return cases;
}

Decision ours(const std::string& rpc, const std::string& bytes) {
  const std::string path = "/google.firestore.v1.Firestore/" + rpc;
  return decided(classify_grpc(GrpcRequest{path, bytes, {}}, kScope));
}

// Messages of each RPC that both readers accept, for the mutation test.
std::vector<std::pair<std::string, std::string>> accepted_samples(int per_rpc) {
  std::vector<std::pair<std::string, std::string>> samples;
  Generator generator(7);
  for (const RpcCase& c : rpc_cases()) {
    int found = 0;
    for (int i = 0; i < 5000 && found < per_rpc; ++i) {
      std::unique_ptr<gp::Message> message(c.prototype->New());
      generator.fill(*message, 0);
      const std::string bytes = message->SerializeAsString();
      if (ours(c.rpc, bytes).accepted && bytes.size() > 20) {
        samples.emplace_back(c.rpc, bytes);
        ++found;
      }
    }
  }
  return samples;
}

TEST_CASE("random messages encoded by libprotobuf decide as libprotobuf's parse says") {
  Generator generator(20261206);
  for (const RpcCase& c : rpc_cases()) {
    int accepted = 0;
    for (int i = 0; i < 3000; ++i) {
      std::unique_ptr<gp::Message> message(c.prototype->New());
      generator.fill(*message, 0);
      const std::string bytes = message->SerializeAsString();
      bool parsed = false;
      const Decision expected = oracle_decide(c.rpc, bytes, parsed);
      REQUIRE(parsed);
      const Decision got = ours(c.rpc, bytes);
      if (got != expected) {
        INFO(c.rpc << ": " << message->ShortDebugString());
        INFO("reader: " << show(got) << "\noracle: " << show(expected));
        const std::string path = "/google.firestore.v1.Firestore/" + c.rpc;
        const auto result = classify_grpc(GrpcRequest{path, bytes, {}}, kScope);
        if (const auto* e = std::get_if<ApiError>(&result)) INFO("refusal: " << e->message);
        CHECK(got == expected);
        break;
      }
      accepted += got.accepted ? 1 : 0;
    }
    INFO(c.rpc << ": " << accepted << " of 3000 accepted");
    CHECK(accepted > 30);  // the comparison covers allowed shapes, not just refusals
  }
}

TEST_CASE("every truncation and one-byte change is refused or decided as libprotobuf says") {
  gp::SetLogHandler(nullptr);  // libprotobuf logs each invalid UTF-8 string it refuses
  const auto samples = accepted_samples(3);
  REQUIRE(samples.size() == 3 * rpc_cases().size());
  std::size_t mutants = 0;
  std::size_t accepted = 0;
  std::size_t unparsed_but_accepted = 0;
  const auto check = [&](const std::string& rpc, const std::string& bytes) {
    ++mutants;
    const Decision got = ours(rpc, bytes);
    if (!got.accepted) return true;
    ++accepted;
    bool parsed = false;
    const Decision expected = oracle_decide(rpc, bytes, parsed);
    // libprotobuf also refuses what the reader never interprets: invalid
    // UTF-8 inside user data (a Value, a map key). Google refuses such a
    // message too; nothing authorized differs.
    if (!parsed) {
      ++unparsed_but_accepted;
      return true;
    }
    if (got == expected) return true;
    INFO(rpc << " reader: " << show(got) << "\noracle: " << show(expected));
    CHECK(got == expected);
    return false;
  };
  for (const auto& [rpc, bytes] : samples) {
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      if (!check(rpc, bytes.substr(0, size))) return;
    }
    for (std::size_t at = 0; at < bytes.size(); ++at) {
      const auto original = static_cast<unsigned char>(bytes[at]);
      for (const unsigned value :
           {0x00U, 0x01U, 0x02U, 0x08U, 0x0aU, 0x10U, 0x12U, 0x1aU, 0x7fU, 0x80U, 0xffU,
            original ^ 0x01U, original ^ 0x80U, original + 1U, original - 1U}) {
        std::string mutant = bytes;
        mutant[at] = static_cast<char>(value & 0xFFU);
        if (mutant != bytes && !check(rpc, mutant)) return;
      }
    }
  }
  INFO(mutants << " mutants, " << accepted << " accepted, " << unparsed_but_accepted
               << " of those unparsable by libprotobuf");
  // Most accepted mutants are compared, not excused (the generator is seeded:
  // these counts do not vary from run to run).
  CHECK(accepted - unparsed_but_accepted > 1000);
}

}  // namespace
}  // namespace firewarden::firestore
