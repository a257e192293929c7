//===- TaskTemplate.h - Drafting a task from the kernel index ---*- C++ -*-===//
//
// Part of cupilot.
//
//===----------------------------------------------------------------------===//
//
// `cupilot-opt --emit=task-template --kernel NAME` drafts a Task from what
// the frontend knows: sizes from the integer parameters, buffers with roles
// inferred from constness and writes, element counts from the bounds that
// guard the accesses, launch geometry from the host launch site. What could
// not be inferred is listed as notes at the top of the file.
//
//===----------------------------------------------------------------------===//

#ifndef CUPILOT_FRONTEND_TASKTEMPLATE_H
#define CUPILOT_FRONTEND_TASKTEMPLATE_H

#include "cupilot/Frontend/KernelInfo.h"
#include "cupilot/Strategy/Task.h"

#include <string>
#include <vector>

namespace cupilot {

struct TaskDraft {
  Task task;
  /// What the user should check or fill in, one sentence each.
  std::vector<std::string> notes;
};

TaskDraft draftTask(const KernelInfo &kernel);

/// The draft as YAML with the notes as leading comments.
std::string renderTaskTemplate(const TaskDraft &draft,
                               const std::string &sourceFile);

} // namespace cupilot

#endif // CUPILOT_FRONTEND_TASKTEMPLATE_H
