using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Helpline.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Reports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "WaitMilliseconds",
                table: "Contacts",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "FirstAttemptAt",
                table: "Callbacks",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "FirstAttemptLateSeconds",
                table: "Callbacks",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "PresenceSpans",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    StaffUserId = table.Column<string>(type: "TEXT", nullable: false),
                    Presence = table.Column<int>(type: "INTEGER", nullable: false),
                    From = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Until = table.Column<DateTime>(type: "TEXT", nullable: true),
                    LocalDate = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Seconds = table.Column<int>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PresenceSpans", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PresenceSpans_AspNetUsers_StaffUserId",
                        column: x => x.StaffUserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ReportCounts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    LocalDate = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    LocalDayOfWeek = table.Column<int>(type: "INTEGER", nullable: false),
                    Dimension = table.Column<int>(type: "INTEGER", nullable: false),
                    Key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Channel = table.Column<int>(type: "INTEGER", nullable: false),
                    Language = table.Column<int>(type: "INTEGER", nullable: false),
                    Contacts = table.Column<int>(type: "INTEGER", nullable: false),
                    Answered = table.Column<int>(type: "INTEGER", nullable: false),
                    AnsweredWithinThreshold = table.Column<int>(type: "INTEGER", nullable: false),
                    Abandoned = table.Column<int>(type: "INTEGER", nullable: false),
                    ShortAbandoned = table.Column<int>(type: "INTEGER", nullable: false),
                    AnsweredWaitMilliseconds = table.Column<long>(type: "INTEGER", nullable: false),
                    Handled = table.Column<int>(type: "INTEGER", nullable: false),
                    TalkSeconds = table.Column<long>(type: "INTEGER", nullable: false),
                    WrapUpSeconds = table.Column<long>(type: "INTEGER", nullable: false),
                    Referrals = table.Column<int>(type: "INTEGER", nullable: false),
                    CrisisTransfersByAdvisor = table.Column<int>(type: "INTEGER", nullable: false),
                    CrisisLineFromMenu = table.Column<int>(type: "INTEGER", nullable: false),
                    Callbacks = table.Column<int>(type: "INTEGER", nullable: false),
                    CallbacksPlaced = table.Column<int>(type: "INTEGER", nullable: false),
                    CallbacksWithinOneMinute = table.Column<int>(type: "INTEGER", nullable: false),
                    CallbacksWithinFiveMinutes = table.Column<int>(type: "INTEGER", nullable: false),
                    CallbacksCompleted = table.Column<int>(type: "INTEGER", nullable: false),
                    CallbacksMissed = table.Column<int>(type: "INTEGER", nullable: false),
                    CallbackAttempts = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReportCounts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "ReportDays",
                columns: table => new
                {
                    LocalDate = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    Contacts = table.Column<int>(type: "INTEGER", nullable: false),
                    LastUpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ServiceLevelSeconds = table.Column<int>(type: "INTEGER", nullable: false),
                    ShortAbandonSeconds = table.Column<int>(type: "INTEGER", nullable: false),
                    CountedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReportDays", x => x.LocalDate);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_LocalDate_UpdatedAt",
                table: "Contacts",
                columns: new[] { "LocalDate", "UpdatedAt" });

            // Contacts answered or abandoned before this change have their wait in whole seconds only.
            migrationBuilder.Sql("UPDATE Contacts SET WaitMilliseconds = WaitSeconds * 1000 WHERE WaitSeconds IS NOT NULL;");

            migrationBuilder.CreateIndex(
                name: "IX_Contacts_Reports",
                table: "Contacts",
                columns: new[] { "LocalDate", "Channel", "Status", "Language", "AdvisorId", "LocalHour", "LocalDayOfWeek", "Disposition", "AnsweredAt", "WaitMilliseconds", "TalkSeconds", "WrapUpSeconds", "CrisisTransferredAt", "Region" });

            migrationBuilder.CreateIndex(
                name: "IX_PresenceSpans_LocalDate_StaffUserId_Presence_Seconds",
                table: "PresenceSpans",
                columns: new[] { "LocalDate", "StaffUserId", "Presence", "Seconds" });

            migrationBuilder.CreateIndex(
                name: "IX_PresenceSpans_StaffUserId_Until",
                table: "PresenceSpans",
                columns: new[] { "StaffUserId", "Until" });

            migrationBuilder.CreateIndex(
                name: "IX_ReportCounts_LocalDate_Dimension",
                table: "ReportCounts",
                columns: new[] { "LocalDate", "Dimension" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PresenceSpans");

            migrationBuilder.DropTable(
                name: "ReportCounts");

            migrationBuilder.DropTable(
                name: "ReportDays");

            migrationBuilder.DropIndex(
                name: "IX_Contacts_LocalDate_UpdatedAt",
                table: "Contacts");

            migrationBuilder.DropIndex(
                name: "IX_Contacts_Reports",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "WaitMilliseconds",
                table: "Contacts");

            migrationBuilder.DropColumn(
                name: "FirstAttemptAt",
                table: "Callbacks");

            migrationBuilder.DropColumn(
                name: "FirstAttemptLateSeconds",
                table: "Callbacks");
        }
    }
}
