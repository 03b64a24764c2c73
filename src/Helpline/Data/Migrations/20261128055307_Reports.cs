using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Helpline.Data.Migrations
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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PresenceSpans");

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
